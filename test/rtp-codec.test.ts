/**
 * The codec descriptions shared by the receive and send paths, and reading an
 * Opus packet's table of contents: duration, and whether it carries in-band
 * FEC — checked against what libopus's decoder actually does with it.
 */
import { OpusDecoder, OpusEncoder } from '../ts/index';
import { OPUS, PCMA, PCMU, checkCodec, formatFmtp, parseFmtp, samplesPerPacket } from '../ts/rtc/codec';
import { opusHasFec, opusPacketSamples } from '../ts/rtc/opus-toc';
import { tone } from './helpers/audio';

describe('codec descriptions', () => {
  test('the constants', () => {
    expect(OPUS).toEqual({ name: 'opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { minptime: '10', useinbandfec: '1' } });
    expect(PCMU).toEqual({ name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 });
    expect(PCMA).toEqual({ name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 });
    expect(Object.isFrozen(OPUS)).toBe(true);
  });

  test('samplesPerPacket', () => {
    expect(samplesPerPacket(OPUS)).toBe(960);
    expect(samplesPerPacket(OPUS, 10)).toBe(480);
    expect(samplesPerPacket(OPUS, 60)).toBe(2880);
    expect(samplesPerPacket(OPUS, 2.5)).toBe(120);
    expect(samplesPerPacket(PCMU, 20)).toBe(160);
    expect(samplesPerPacket(PCMA, 30)).toBe(240);
    expect(() => samplesPerPacket(OPUS, 200)).toThrow(/^samplesPerPacket: ptimeMs must be a packet duration from 2.5 to 120 ms; got 200$/);
    expect(samplesPerPacket(PCMU, 2.5)).toBe(20);
    expect(() => samplesPerPacket(PCMU, 0.1 + 2.5)).toThrow(/ptimeMs must be a whole number of samples at 8000 Hz; got 2.6/);
  });

  test('parseFmtp and formatFmtp', () => {
    expect(parseFmtp('minptime=10;useinbandfec=1')).toEqual({ minptime: '10', useinbandfec: '1' });
    expect(parseFmtp('a=fmtp:111 minptime=10; useinbandfec=1 ;Stereo=1')).toEqual({ minptime: '10', useinbandfec: '1', stereo: '1' });
    expect(parseFmtp('fmtp:101 0-15')).toEqual({ '0-15': '' });
    expect(parseFmtp('')).toEqual({});
    expect(parseFmtp('profile-level-id=42e01f;x=a=b')).toEqual({ 'profile-level-id': '42e01f', x: 'a=b' });
    expect(formatFmtp({ minptime: '10', useinbandfec: '1' })).toBe('minptime=10;useinbandfec=1');
    expect(parseFmtp(formatFmtp({ a: '1', b: '', c: 'x' }))).toEqual({ a: '1', b: '', c: 'x' });
    expect(() => parseFmtp(42 as never)).toThrow(/^parseFmtp: fmtp must be a string; got 42$/);
  });

  test('checkCodec names the field that is wrong', () => {
    expect(checkCodec('f', 'codec', OPUS)).toBe(OPUS);
    expect(() => checkCodec('f', 'codec', null)).toThrow(/^f: codec must be an AudioCodec \{ name, payloadType, clockRate, channels \}; got null$/);
    expect(() => checkCodec('f', 'codec', { ...OPUS, payloadType: 128 })).toThrow(/^f: codec.payloadType must be an integer from 0 to 127; got 128$/);
    expect(() => checkCodec('f', 'codec', { ...PCMU, clockRate: 16000 })).toThrow(/^f: codec must be 8000 Hz mono for PCMU; got 16000 Hz × 1$/);
    expect(() => checkCodec('f', 'codec', { ...OPUS, channels: 3 })).toThrow(/^f: codec.channels must be 1 or 2 for Opus; got 3$/);
    expect(() => checkCodec('f', 'codec', { ...OPUS, parameters: { useinbandfec: 1 } })).toThrow(/^f: codec.parameters must be an object of string values/);
  });
});

describe('Opus table of contents', () => {
  test('durations from the TOC byte and frame count (RFC 6716 §3.1)', () => {
    const toc = (config: number, code: number, stereo = 0): number => (config << 3) | (stereo << 2) | code;
    expect(opusPacketSamples(new Uint8Array([toc(1, 0), 0]))).toBe(960); // SILK NB 20 ms
    expect(opusPacketSamples(new Uint8Array([toc(3, 0)]))).toBe(2880); // SILK 60 ms
    expect(opusPacketSamples(new Uint8Array([toc(12, 0)]))).toBe(480); // hybrid 10 ms
    expect(opusPacketSamples(new Uint8Array([toc(15, 1), 1, 2]))).toBe(1920); // 2 × hybrid 20 ms
    expect(opusPacketSamples(new Uint8Array([toc(16, 2), 1, 0, 0]))).toBe(240); // 2 × CELT 2.5 ms
    expect(opusPacketSamples(new Uint8Array([toc(31, 3), 3, 0, 0, 0]))).toBe(2880); // 3 × CELT 20 ms
    expect(opusPacketSamples(new Uint8Array([toc(31, 3), 7]))).toBeUndefined(); // 140 ms: too long
    expect(opusPacketSamples(new Uint8Array([toc(31, 3)]))).toBeUndefined(); // no count byte
    expect(opusPacketSamples(new Uint8Array([]))).toBeUndefined();
    expect(opusHasFec(new Uint8Array([toc(1, 0)]))).toBe(false); // too short to say
  });

  test('real packets: the duration matches the decoder, and the FEC flag matches what decodeFec does (it differs from PLC exactly when FEC is there)', () => {
    const cases: Array<{ options: ConstructorParameters<typeof OpusEncoder>[0]; ms: number; expectFec: boolean }> = [
      { options: { fec: true, packetLossPercent: 10 }, ms: 20, expectFec: true },
      { options: { fec: true, packetLossPercent: 10, channels: 2 }, ms: 20, expectFec: true },
      { options: { fec: true, packetLossPercent: 20, bitrate: 24000 }, ms: 40, expectFec: true },
      { options: { fec: true, packetLossPercent: 20, bitrate: 24000 }, ms: 60, expectFec: true },
      { options: { fec: false }, ms: 20, expectFec: false },
      { options: { application: 'lowdelay', fec: true, packetLossPercent: 10 }, ms: 20, expectFec: false }, // CELT only
    ];
    for (const { options, ms, expectFec } of cases) {
      const channels = options?.channels ?? 1;
      const n = 48 * ms;
      const encoder = new OpusEncoder({ sampleRate: 48000, ...options });
      const pcm = tone(1000, 48000, (30 * ms) / 1000, { channels });
      const packets = Array.from({ length: 30 }, (_, k) => encoder.encode(pcm.subarray(k * n * channels, (k + 1) * n * channels)));
      let withFec = 0;
      for (let k = 10; k < packets.length; k++) {
        expect(opusPacketSamples(packets[k])).toBe(n);
        const has = opusHasFec(packets[k]);
        if (has) withFec++;
        // two decoders in the same state: one rebuilds packet k-1 from k's FEC, the other conceals it
        const a = new OpusDecoder({ channels });
        const b = new OpusDecoder({ channels });
        for (let j = k - 6; j < k - 1; j++) {
          a.decode(packets[j]);
          b.decode(packets[j]);
        }
        expect(a.packetSamples(packets[k])).toBe(n);
        const fec = a.decodeFec(packets[k], n);
        const plc = b.conceal(n);
        const same = fec.every((v, i) => v === plc[i]);
        if (same === has) throw new Error(`${JSON.stringify(options)} ${ms} ms, packet ${k}: opusHasFec ${has} but decodeFec ${same ? 'equals' : 'differs from'} PLC`);
        a.close();
        b.close();
      }
      expect(withFec > 0).toBe(expectFec);
    }
  });
});
