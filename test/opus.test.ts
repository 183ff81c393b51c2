/**
 * OpusEncoder / OpusDecoder on real audio: tones and espeak-ng speech through
 * the codec, packet loss (PLC and in-band FEC), DTX, settings changed after
 * creation, the allocation-free forms, and corrupt or random packets.
 *
 * Thresholds were set from measurements on libopus 1.3.1 (the numbers are in
 * the comments next to them) with a margin; they are loose enough for the
 * codec's legitimate variation, tight enough to catch a wrong sample rate,
 * channel mix-up, misaligned delay, lost FEC or a gain error.
 */
import { OpusDecoder, OpusEncoder, type OpusSampleRate } from '../ts/index';
import { channel, concat, correlation, kindOf, measureFrequency, prngU32, randomBytes, rmsDb, segmentalSnrDb, snrDb, tone, toneLevelDb, type Samples } from './helpers/audio';
import { speech } from './helpers/speech';
import { opusModes } from './helpers/opus';

const RATES: OpusSampleRate[] = [8000, 12000, 16000, 24000, 48000];

/** Encodes `pcm` in consecutive frames of `frameValues` values (a trailing partial frame is dropped). */
function encodeAll(encoder: OpusEncoder, pcm: Samples, frameValues: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let i = 0; i + frameValues <= pcm.length; i += frameValues) packets.push(encoder.encode(pcm.subarray(i, i + frameValues)));
  return packets;
}

function decodeAll(decoder: OpusDecoder, packets: readonly Uint8Array[]): Int16Array {
  return concat(packets.map((p) => decoder.decode(p)));
}

function decodeAllFloat(decoder: OpusDecoder, packets: readonly Uint8Array[]): Float32Array {
  return concat(packets.map((p) => decoder.decodeFloat(p)));
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function median(values: readonly number[]): number {
  const a = [...values].sort((x, y) => x - y);
  const n = a.length;
  return n % 2 === 1 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameSamples(a: Samples, b: Samples): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

function opusError(fn: () => unknown): Error & { code?: string; opusError?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string; opusError?: string };
  }
  throw new Error('expected the call to throw');
}

interface ToneCheck {
  freqErrorHz: number;
  levelErrorDb: number;
  toneLevelErrorDb: number;
}

/** Frequency and level of one channel of `decoded` against the same channel of `input`, after `skip` frames. */
function checkTone(input: Samples, decoded: Samples, ch: number, channels: number, rate: number, freq: number, skip: number): ToneCheck {
  const i = channel(input, ch, channels).subarray(skip);
  const d = channel(decoded, ch, channels).subarray(skip);
  return {
    freqErrorHz: measureFrequency(d, rate) - freq,
    levelErrorDb: rmsDb(d) - rmsDb(i),
    toneLevelErrorDb: toneLevelDb(d, rate, freq) - toneLevelDb(i, rate, freq),
  };
}

describe('Opus tone round trip (1 s of tone, 20 ms frames, first 100 ms skipped)', () => {
  // Measured worst cases: frequency 0.103 Hz (24 kHz, 1 kHz), RMS level 0.15 dB,
  // tone level 0.18 dB (8 kHz, f32).
  test.each(RATES)('mono %i Hz, voip, bitrate auto, s16: 1 kHz and 440 Hz keep frequency (±0.5 Hz) and level (±1 dB)', (rate) => {
    for (const freq of [1000, 440]) {
      const encoder = new OpusEncoder({ sampleRate: rate, channels: 1 });
      const decoder = new OpusDecoder({ sampleRate: rate, channels: 1 });
      const input = tone(freq, rate, 1, { amplitude: 0.5 });
      const packets = encodeAll(encoder, input, rate / 50);
      expect(packets).toHaveLength(50);
      const decoded = decodeAll(decoder, packets);
      expect(decoded).toHaveLength(input.length);
      const r = checkTone(input, decoded, 0, 1, rate, freq, rate / 10);
      expect(Math.abs(r.freqErrorHz)).toBeLessThan(0.5);
      expect(Math.abs(r.levelErrorDb)).toBeLessThan(1);
      expect(Math.abs(r.toneLevelErrorDb)).toBeLessThan(1);
    }
  });

  // Measured at 64 kbit/s: level within 0.32 dB, frequency within 0.001 Hz,
  // the other channel's tone at -67 dB or lower. (At the 'auto' bitrate for
  // 8 and 12 kHz stereo, 19 and 27 kbit/s, libopus narrows the stereo image:
  // -10 dB crosstalk, so this test sets the bitrate.)
  test.each(RATES)('stereo %i Hz, voip, 64 kbit/s, s16: L 440 Hz / R 1 kHz keep frequency, level, and stay separate (crosstalk < -40 dB)', (rate) => {
    const freqs = [440, 1000];
    const encoder = new OpusEncoder({ sampleRate: rate, channels: 2, bitrate: 64000 });
    const decoder = new OpusDecoder({ sampleRate: rate, channels: 2 });
    const input = tone(freqs, rate, 1, { channels: 2, amplitude: 0.5 });
    const decoded = decodeAll(decoder, encodeAll(encoder, input, (rate / 50) * 2));
    expect(decoded).toHaveLength(input.length);
    for (const ch of [0, 1]) {
      const r = checkTone(input, decoded, ch, 2, rate, freqs[ch], rate / 10);
      expect(Math.abs(r.freqErrorHz)).toBeLessThan(0.5);
      expect(Math.abs(r.levelErrorDb)).toBeLessThan(1);
      expect(Math.abs(r.toneLevelErrorDb)).toBeLessThan(1);
      const d = channel(decoded, ch, 2).subarray(rate / 10);
      const crosstalk = toneLevelDb(d, rate, freqs[1 - ch]) - toneLevelDb(d, rate, freqs[ch]);
      expect(crosstalk).toBeLessThan(-40);
    }
  });

  test.each(RATES)('mono %i Hz, voip, bitrate auto, Float32Array in, decodeFloat out: 1 kHz keeps frequency and level', (rate) => {
    const encoder = new OpusEncoder({ sampleRate: rate });
    const decoder = new OpusDecoder({ sampleRate: rate });
    const input = tone(1000, rate, 1, { amplitude: 0.5, format: 'f32' });
    const decoded = decodeAllFloat(decoder, encodeAll(encoder, input, rate / 50));
    expect(kindOf(decoded)).toBe('Float32Array');
    expect(decoded).toHaveLength(input.length);
    const r = checkTone(input, decoded, 0, 1, rate, 1000, rate / 10);
    expect(Math.abs(r.freqErrorHz)).toBeLessThan(0.5);
    expect(Math.abs(r.levelErrorDb)).toBeLessThan(1);
    expect(Math.abs(r.toneLevelErrorDb)).toBeLessThan(1);
  });

  test('stereo 48 kHz, 64 kbit/s, Float32Array in, decodeFloat out: R 1 kHz / L 440 Hz stay in their channels', () => {
    const freqs = [1000, 440];
    const encoder = new OpusEncoder({ channels: 2, bitrate: 64000 });
    const decoder = new OpusDecoder({ channels: 2 });
    const input = tone(freqs, 48000, 1, { channels: 2, format: 'f32' });
    const decoded = decodeAllFloat(decoder, encodeAll(encoder, input, 1920));
    for (const ch of [0, 1]) {
      const r = checkTone(input, decoded, ch, 2, 48000, freqs[ch], 4800);
      expect(Math.abs(r.freqErrorHz)).toBeLessThan(0.5);
      expect(Math.abs(r.levelErrorDb)).toBeLessThan(1);
    }
  });

  test('decode and decodeFloat of the same packets agree: s16 = f32 × 32768 rounded (within 0.5 + 1e-3)', () => {
    const encoder = new OpusEncoder();
    const packets = encodeAll(encoder, tone(440, 48000, 0.2), 960);
    const s16 = decodeAll(new OpusDecoder(), packets);
    const f32 = decodeAllFloat(new OpusDecoder(), packets);
    let maxDiff = 0;
    for (let i = 0; i < s16.length; i++) maxDiff = Math.max(maxDiff, Math.abs(s16[i] - f32[i] * 32768));
    expect(maxDiff).toBeLessThanOrEqual(0.501); // measured 0.4996
    expect(rmsDb(s16)).toBeGreaterThan(-12); // and the signal is really there (-9 dBFS in)
  });
});

describe('Opus speech round trip (espeak-ng, mono, voip, bitrate auto, 20 ms frames)', () => {
  // Measured (libopus 1.3.1, bitrate auto = 51 kbit/s at 48 kHz, 19 kbit/s at
  // 16 kHz): 48 kHz: level -0.13 dB, correlation 0.8966, segmental SNR 5.2 dB,
  // best lag 309 vs lookahead 312. 16 kHz: level -0.23 dB, correlation 0.9624,
  // segmental SNR 8.1 dB, best lag = lookahead = 104. Misaligned by 5 ms the
  // correlation is 0.03 at both rates (the control below).
  const cases = [
    { rate: 48000 as const, minCorrelation: 0.85, minSegSnr: 3 },
    { rate: 16000 as const, minCorrelation: 0.93, minSegSnr: 6 },
  ];
  test.each(cases)('$rate Hz: same length, level within 1.5 dB, correlation ≥ $minCorrelation and segmental SNR ≥ $minSegSnr dB after aligning by encoder.lookahead', ({ rate, minCorrelation, minSegSnr }) => {
    const frame = rate / 50;
    const source = speech(rate, 1);
    const frames = Math.floor(source.length / frame);
    const input = source.subarray(0, frames * frame);
    const encoder = new OpusEncoder({ sampleRate: rate });
    const decoder = new OpusDecoder({ sampleRate: rate });
    const packets = encodeAll(encoder, input, frame);
    expect(packets).toHaveLength(frames);
    const decoded = decodeAll(decoder, packets);
    expect(decoded).toHaveLength(frames * frame);

    const lookahead = encoder.lookahead;
    // libopus: 2.5 ms + 4 ms delay compensation at voip.
    expect(lookahead).toBe(Math.round(rate * 0.0065));
    const reference = input.subarray(0, input.length - lookahead);
    const aligned = decoded.subarray(lookahead);
    expect(Math.abs(rmsDb(aligned) - rmsDb(reference))).toBeLessThan(1.5);
    expect(correlation(reference, aligned)).toBeGreaterThan(minCorrelation);
    expect(segmentalSnrDb(reference, aligned, frame)).toBeGreaterThan(minSegSnr);

    // Control: misaligned by 5 ms, the same measures collapse (so they do measure alignment).
    const shift = lookahead + rate / 200;
    const misaligned = correlation(input.subarray(0, input.length - shift), decoded.subarray(shift));
    expect(misaligned).toBeLessThan(0.5);
  });

  test.each([48000, 16000] as const)('%i Hz: the best-matching delay is encoder.lookahead (within 0.125 ms)', (rate) => {
    const frame = rate / 50;
    const source = speech(rate, 1);
    const input = source.subarray(0, Math.floor(source.length / frame) * frame);
    const encoder = new OpusEncoder({ sampleRate: rate });
    const decoded = decodeAll(new OpusDecoder({ sampleRate: rate }), encodeAll(encoder, input, frame));
    // 1 s from the middle of the sentence; lags from 0 to 3 × lookahead.
    const start = Math.floor(input.length / 3);
    const span = rate;
    const lookahead = encoder.lookahead;
    let bestLag = -1;
    let best = -Infinity;
    for (let lag = 0; lag <= 3 * lookahead; lag++) {
      const c = correlation(input.subarray(start, start + span), decoded.subarray(start + lag, start + lag + span));
      if (c > best) {
        best = c;
        bestLag = lag;
      }
    }
    expect(Math.abs(bestLag - lookahead)).toBeLessThanOrEqual(rate / 8000);
  });
});

describe('Opus packet loss: PLC and in-band FEC (48 kHz mono, voip, 32 kbit/s, fec, packetLossPercent 20)', () => {
  const FRAME = 960;
  const lossy = { bitrate: 32000, fec: true, packetLossPercent: 20 } as const;

  interface LossRun {
    packets: Uint8Array[];
    lossless: Int16Array[];
    k: number;
    /** A decoder that has decoded packets 0 … k-1 (packet k is lost). */
    before: () => OpusDecoder;
  }

  function lossRun(input: Int16Array, options: ConstructorParameters<typeof OpusEncoder>[0], pickLost: (frames: Int16Array[]) => number): LossRun {
    const packets = encodeAll(new OpusEncoder(options), input, FRAME);
    const reference = new OpusDecoder();
    const lossless = packets.map((p) => reference.decode(p));
    const k = pickLost(lossless);
    const before = (): OpusDecoder => {
      const d = new OpusDecoder();
      for (let i = 0; i < k; i++) d.decode(packets[i]);
      return d;
    };
    return { packets, lossless, k, before };
  }

  /** The frame in the middle 40% of the sentence whose quietest neighbour (k-1, k, k+1) is loudest: voiced speech. */
  function voicedFrame(frames: Int16Array[]): number {
    let best = -Infinity;
    let k = -1;
    for (let i = Math.floor(frames.length * 0.3); i < frames.length * 0.7; i++) {
      const level = Math.min(rmsDb(frames[i - 1]), rmsDb(frames[i]), rmsDb(frames[i + 1]));
      if (level > best) {
        best = level;
        k = i;
      }
    }
    return k;
  }

  const neighbourLevel = (run: LossRun): number => (rmsDb(run.lossless[run.k - 1]) + rmsDb(run.lossless[run.k + 1])) / 2;

  test('speech, 12 voiced frames each lost in turn: PLC stays near the neighbours, FEC is within 3 dB and much closer to the lost frame than PLC; the next packet decodes normally', () => {
    const packets = encodeAll(new OpusEncoder(lossy), speech(48000, 1), FRAME);
    const reference = new OpusDecoder();
    const lossless = packets.map((p) => reference.decode(p));
    // Voiced: the frame and both neighbours at -25 dBFS or more; 12 of them spread over the sentence.
    const voiced: number[] = [];
    for (let k = 1; k + 2 < packets.length; k++) {
      if (Math.min(rmsDb(lossless[k - 1]), rmsDb(lossless[k]), rmsDb(lossless[k + 1])) >= -25) voiced.push(k);
    }
    expect(voiced.length).toBeGreaterThan(50); // measured 95
    const step = Math.ceil(voiced.length / 12);
    const lost = voiced.filter((_, i) => i % step === 0);
    expect(lost).toHaveLength(12);

    const rows = lost.map((k) => {
      const before = (): OpusDecoder => {
        const d = new OpusDecoder();
        for (let i = 0; i < k; i++) d.decode(packets[i]);
        return d;
      };
      const neighbours = (rmsDb(lossless[k - 1]) + rmsDb(lossless[k + 1])) / 2;
      const plcDecoder = before();
      const plc = plcDecoder.conceal(FRAME);
      expect(plc).toHaveLength(FRAME);
      expect(plcDecoder.lastPacketDuration).toBe(FRAME);
      const fecDecoder = before();
      const fec = fecDecoder.decodeFec(packets[k + 1], FRAME);
      expect(fec).toHaveLength(FRAME);
      expect(sameSamples(fec, plc)).toBe(false);
      const next = fecDecoder.decode(packets[k + 1]);
      expect(next).toHaveLength(FRAME);
      return {
        plcLevel: rmsDb(plc) - neighbours,
        fecLevel: rmsDb(fec) - neighbours,
        plcSnr: snrDb(lossless[k], plc),
        fecSnr: snrDb(lossless[k], fec),
        nextSnr: snrDb(lossless[k + 1], next),
        nextLevel: rmsDb(next) - rmsDb(lossless[k + 1]),
      };
    });
    const abs = (f: (r: (typeof rows)[number]) => number): number[] => rows.map((r) => Math.abs(f(r)));
    // Measured (libopus 1.3.1, these 12 frames): |PLC level - neighbours| median 2.0, max 4.2 dB;
    // |FEC level - neighbours| median 1.5, max 3.2 dB; FEC SNR against the lossless decode median
    // 15.6 dB, on average 9.9 dB above PLC's, better than PLC on all 12; the packet after the
    // FEC frame: SNR median 19.2 dB (min 9.0), level within 0.9 dB.
    expect(median(abs((r) => r.plcLevel))).toBeLessThan(4);
    expect(Math.max(...abs((r) => r.plcLevel))).toBeLessThan(8);
    expect(median(abs((r) => r.fecLevel))).toBeLessThan(3);
    expect(Math.max(...abs((r) => r.fecLevel))).toBeLessThan(6);
    expect(median(rows.map((r) => r.fecSnr))).toBeGreaterThan(10);
    expect(mean(rows.map((r) => r.fecSnr - r.plcSnr))).toBeGreaterThan(5);
    expect(rows.filter((r) => r.fecSnr > r.plcSnr).length).toBeGreaterThanOrEqual(10);
    expect(median(rows.map((r) => r.nextSnr))).toBeGreaterThan(12);
    expect(Math.max(...abs((r) => r.nextLevel))).toBeLessThan(3);
  });

  test('440 Hz tone: FEC frame keeps frequency (±1 Hz) and level (±1 dB); PLC is not silent', () => {
    const input = tone(440, 48000, 1, { amplitude: 0.5 });
    const run = lossRun(input, lossy, () => 25);
    const { packets, lossless, k } = run;
    const neighbours = neighbourLevel(run);

    const fecDecoder = run.before();
    const fec = fecDecoder.decodeFec(packets[k + 1], FRAME);
    expect(Math.abs(measureFrequency(fec, 48000) - 440)).toBeLessThan(1); // measured 0.17 Hz
    expect(Math.abs(rmsDb(fec) - neighbours)).toBeLessThan(1); // measured 0.1 dB
    expect(snrDb(lossless[k], fec)).toBeGreaterThan(20); // measured 29.6 dB
    const next = fecDecoder.decode(packets[k + 1]);
    expect(Math.abs(measureFrequency(next, 48000) - 440)).toBeLessThan(1);

    // SILK's PLC on a pure tone is rough (measured -14.4 dBFS against -9.0, 453 Hz), but it is sound.
    const plc = run.before().conceal(FRAME);
    expect(rmsDb(plc)).toBeGreaterThan(-30);
  });

  test('without FEC in the stream, decodeFec conceals: its output equals conceal() exactly (libopus behaviour)', () => {
    const input = speech(48000, 1);
    const run = lossRun(input, { bitrate: 32000, fec: false }, voicedFrame);
    const fec = run.before().decodeFec(run.packets[run.k + 1], FRAME);
    const plc = run.before().conceal(FRAME);
    expect(rmsDb(plc)).toBeGreaterThan(-40);
    expect(sameSamples(fec, plc)).toBe(true);
  });

  test('concealInto and decodeFecInto (s16 and f32) write what conceal and decodeFec return', () => {
    const run = lossRun(speech(48000, 1), lossy, voicedFrame);
    const next = run.packets[run.k + 1];

    const plc = run.before().conceal(FRAME);
    const plcOut = new Int16Array(FRAME);
    expect(run.before().concealInto(plcOut)).toBe(FRAME);
    expect(sameSamples(plcOut, plc)).toBe(true);

    const fec = run.before().decodeFec(next, FRAME);
    const fecOut = new Int16Array(FRAME);
    expect(run.before().decodeFecInto(next, fecOut)).toBe(FRAME);
    expect(sameSamples(fecOut, fec)).toBe(true);

    const plcF = run.before().conceal(FRAME, 'f32');
    const plcFOut = new Float32Array(FRAME);
    expect(run.before().concealInto(plcFOut)).toBe(FRAME);
    expect(kindOf(plcF)).toBe('Float32Array');
    expect(sameSamples(plcFOut, plcF)).toBe(true);
    expect(Math.abs(rmsDb(plcF) - rmsDb(plc))).toBeLessThan(0.05);

    const fecF = run.before().decodeFec(next, FRAME, 'f32');
    const fecFOut = new Float32Array(FRAME);
    expect(run.before().decodeFecInto(next, fecFOut)).toBe(FRAME);
    expect(sameSamples(fecFOut, fecF)).toBe(true);
    let maxDiff = 0;
    for (let i = 0; i < FRAME; i++) maxDiff = Math.max(maxDiff, Math.abs(fec[i] - fecF[i] * 32768));
    expect(maxDiff).toBeLessThanOrEqual(0.501);

    // A 40 ms concealment through concealInto: the duration is out.length.
    const long = new Int16Array(2 * FRAME);
    const d = run.before();
    expect(d.concealInto(long)).toBe(2 * FRAME);
    expect(d.lastPacketDuration).toBe(2 * FRAME);
    expect(rmsDb(long.subarray(0, FRAME))).toBeGreaterThan(-40);
  });
});

describe('Opus DTX (48 kHz mono, voip, bitrate auto): 1 s of 440 Hz then 2 s of digital silence', () => {
  function sizes(dtx: boolean): number[] {
    const input = new Int16Array(3 * 48000);
    input.set(tone(440, 48000, 1, { amplitude: 0.5 }));
    return encodeAll(new OpusEncoder({ dtx }), input, 960).map((p) => p.length);
  }

  // Measured (libopus 1.3.1): the tone in ~131-byte packets; silence: two
  // packets of the tone's tail, 8 × 3 bytes, then with DTX 1-byte packets
  // with a 3-byte update every 20th packet (400 ms); without DTX 3 bytes each.
  test('with dtx: most silence packets are 1 byte, none over 3 bytes, an update at least every 400 ms', () => {
    const s = sizes(true);
    expect(mean(s.slice(0, 50))).toBeGreaterThan(40);
    const silence = s.slice(50 + 10); // after 200 ms of hangover
    const tiny = silence.filter((n) => n === 1).length;
    expect(tiny / silence.length).toBeGreaterThan(0.85); // measured 0.95
    expect(Math.max(...silence)).toBeLessThanOrEqual(3);
    let run = 0;
    let longestRun = 0;
    for (const n of silence) {
      run = n === 1 ? run + 1 : 0;
      longestRun = Math.max(longestRun, run);
    }
    expect(longestRun).toBeLessThanOrEqual(20); // measured exactly 20
    expect(silence.some((n) => n > 1)).toBe(true);
  });

  test('without dtx: silence still gets small packets but never the 1-byte DTX ones', () => {
    const s = sizes(false);
    const silence = s.slice(50 + 10);
    expect(silence.filter((n) => n === 1)).toHaveLength(0);
    expect(Math.min(...silence)).toBeGreaterThanOrEqual(2); // measured 3 each
  });

  test('the DTX stream decodes to 20 ms of silence per packet', () => {
    const input = new Int16Array(3 * 48000);
    input.set(tone(440, 48000, 1, { amplitude: 0.5 }));
    const packets = encodeAll(new OpusEncoder({ dtx: true }), input, 960);
    const decoder = new OpusDecoder();
    const decoded = packets.map((p) => decoder.decode(p));
    expect(decoded.every((d) => d.length === 960)).toBe(true);
    expect(rmsDb(concat(decoded.slice(10, 45)))).toBeGreaterThan(-12); // measured -9.0 dBFS
    const quiet = concat(decoded.slice(70));
    expect(rmsDb(quiet)).toBeLessThan(-60); // measured: exact zeros
  });
});

describe('Opus settings changed after creation take effect', () => {
  const FRAME = 960;

  test('setBitrate(16000) vs setBitrate(64000) on speech: average bitrate near each target, the bitrate getter follows', () => {
    const input = speech(48000, 1);
    const encoder = new OpusEncoder();
    const averageBytes = (bitrate: number): number => {
      encoder.setBitrate(bitrate);
      expect(encoder.bitrate).toBe(bitrate);
      return mean(encodeAll(encoder, input, FRAME).map((p) => p.length));
    };
    const low = averageBytes(16000); // measured 43.0 bytes = 17.2 kbit/s
    const high = averageBytes(64000); // measured 153.1 bytes = 61.2 kbit/s
    const lowAgain = averageBytes(16000);
    expect(high / low).toBeGreaterThan(2.5);
    expect(Math.abs((low * 8 * 50) / 16000 - 1)).toBeLessThan(0.25);
    expect(Math.abs((high * 8 * 50) / 64000 - 1)).toBeLessThan(0.25);
    expect(Math.abs(lowAgain / low - 1)).toBeLessThan(0.05);
    encoder.setBitrate('max');
    expect(encoder.bitrate).toBeGreaterThan(64000);
    encoder.setBitrate('auto');
    expect(encoder.bitrate).toBe(51000); // libopus auto for 48 kHz mono: 60·Fs/frame + Fs·channels
  });

  test('setComplexity 0 … 10 are accepted and change the packets', () => {
    const input = speech(48000, 1).subarray(48000, 96000);
    const packetsAt = (complexity: number): Uint8Array[] => {
      const e = new OpusEncoder({ bitrate: 24000 });
      e.setComplexity(complexity);
      return encodeAll(e, input, FRAME);
    };
    const c0 = packetsAt(0);
    const c10 = packetsAt(10);
    for (let c = 1; c <= 9; c++) expect(packetsAt(c)).toHaveLength(50);
    expect(c0.every((p, i) => sameBytes(p, c10[i]))).toBe(false);
    // Both decode to the speech, at about its level.
    const lvl = rmsDb(input);
    expect(Math.abs(rmsDb(decodeAll(new OpusDecoder(), c0)) - lvl)).toBeLessThan(1.5);
    expect(Math.abs(rmsDb(decodeAll(new OpusDecoder(), c10)) - lvl)).toBeLessThan(1.5);
  });

  test('setFec(true) + setPacketLossPercent(20) after creation embed FEC; setFec(false) removes it', () => {
    const input = speech(48000, 1);
    const fecDiffersFromPlc = (configure: (e: OpusEncoder) => void): boolean => {
      const encoder = new OpusEncoder({ bitrate: 32000 });
      configure(encoder);
      const packets = encodeAll(encoder, input, FRAME);
      const k = Math.floor(packets.length / 2);
      const make = (): OpusDecoder => {
        const d = new OpusDecoder();
        for (let i = 0; i < k; i++) d.decode(packets[i]);
        return d;
      };
      return !sameSamples(make().decodeFec(packets[k + 1], FRAME), make().conceal(FRAME));
    };
    expect(
      fecDiffersFromPlc((e) => {
        e.setFec(true);
        e.setPacketLossPercent(20);
      }),
    ).toBe(true);
    expect(
      fecDiffersFromPlc((e) => {
        e.setFec(true);
        e.setPacketLossPercent(20);
        e.setFec(false);
      }),
    ).toBe(false);
    const e = new OpusEncoder();
    for (const p of [0, 1, 50, 100]) e.setPacketLossPercent(p);
  });

  test('setDtx(true) after creation gives 1-byte packets in silence, setDtx(false) stops them', () => {
    const encoder = new OpusEncoder();
    const silence = new Int16Array(FRAME);
    encoder.setDtx(true);
    const on = Array.from({ length: 40 }, () => encoder.encode(silence).length);
    encoder.setDtx(false);
    const off = Array.from({ length: 40 }, () => encoder.encode(silence).length);
    expect(on.slice(15).filter((n) => n === 1).length).toBeGreaterThan(20);
    expect(off.slice(5).filter((n) => n === 1)).toHaveLength(0);
  });

  test("signal: at 32 kbit/s mono and complexity 5, application 'audio' codes speech with CELT ('auto') or hybrid ('voice', option or setSignal); 'voip' codes hybrid; a bad signal is refused", () => {
    const input = speech(48000).subarray(0, 48000 * 2);
    const run = (options: ConstructorParameters<typeof OpusEncoder>[0]): Record<string, number> => opusModes(encodeAll(new OpusEncoder({ bitrate: 32000, complexity: 5, ...options }), input, FRAME));
    expect(run({ application: 'audio' })).toEqual({ celt: 100 });
    expect(run({ application: 'audio', signal: 'voice' })).toEqual({ hybrid: 100 });
    expect(run({ application: 'voip' })).toEqual({ hybrid: 100 });
    // (from complexity 7 libopus analyses the signal and finds the speech itself)
    expect(run({ application: 'audio', complexity: 9 })).toEqual({ hybrid: 100 });
    const switched = new OpusEncoder({ application: 'audio', bitrate: 32000, complexity: 5 });
    const before = encodeAll(switched, input.subarray(0, 48000), FRAME);
    switched.setSignal('voice');
    const after = encodeAll(switched, input.subarray(48000), FRAME);
    expect(opusModes(before)).toEqual({ celt: 50 });
    expect(opusModes(after.slice(2)).hybrid).toBe(48); // (libopus may keep CELT for a transition frame)
    expect(() => new OpusEncoder({ signal: 'speech' as 'voice' })).toThrow(`OpusEncoder: options.signal must be one of 'auto', 'voice' or 'music'; got "speech"`);
    expect(() => switched.setSignal(3001 as unknown as 'voice')).toThrow(`OpusEncoder.setSignal: signal must be one of 'auto', 'voice' or 'music'; got 3001`);
  });
});

describe('Opus allocation-free forms and packet inspection', () => {
  test('encodeInto writes exactly what encode returns (two fresh encoders, speech, 48 kHz mono and 16 kHz stereo)', () => {
    for (const [rate, channels] of [
      [48000, 1],
      [16000, 2],
    ] as const) {
      const input = speech(rate, channels);
      const frame = (rate / 50) * channels;
      const a = new OpusEncoder({ sampleRate: rate, channels });
      const b = new OpusEncoder({ sampleRate: rate, channels });
      const out = new Uint8Array(4000);
      let frames = 0;
      for (let i = 0; i + frame <= input.length; i += frame) {
        const pcm = input.subarray(i, i + frame);
        const packet = a.encode(pcm);
        const n = b.encodeInto(pcm, out);
        expect(n).toBe(packet.length);
        if (!sameBytes(out.subarray(0, n), packet)) throw new Error(`packet ${frames} differs`);
        frames++;
      }
      expect(frames).toBeGreaterThan(300);
    }
  });

  test('a Buffer of s16le samples encodes like the Int16Array it holds', () => {
    const input = tone(440, 48000, 0.2, { amplitude: 0.5 });
    const a = new OpusEncoder();
    const b = new OpusEncoder();
    for (let i = 0; i + 960 <= input.length; i += 960) {
      const pcm = input.subarray(i, i + 960);
      const buf = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
      expect(sameBytes(a.encode(pcm), b.encode(buf))).toBe(true);
    }
  });

  test('decodeInto writes what decode returns and returns samples per channel (s16 and f32, out longer than the packet)', () => {
    const input = speech(48000, 2);
    const packets = encodeAll(new OpusEncoder({ channels: 2 }), input, 1920);
    const a = new OpusDecoder({ channels: 2 });
    const b = new OpusDecoder({ channels: 2 });
    const c = new OpusDecoder({ channels: 2 });
    const d = new OpusDecoder({ channels: 2 });
    const out = new Int16Array(5760 * 2);
    const outF = new Float32Array(5760 * 2);
    for (const p of packets) {
      const ref = a.decode(p);
      expect(b.decodeInto(p, out)).toBe(960);
      if (!sameSamples(out.subarray(0, 1920), ref)) throw new Error('decodeInto differs from decode');
      const refF = c.decodeFloat(p);
      expect(d.decodeInto(p, outF)).toBe(960);
      if (!sameSamples(outF.subarray(0, 1920), refF)) throw new Error('decodeInto (f32) differs from decodeFloat');
    }
    expect(packets.length).toBeGreaterThan(300);
  });

  test('packetSamples: 20 ms → 960 at 48 kHz and 320 at a 16 kHz decoder; 10 ms → 480, 60 ms → 2880; lastPacketDuration follows decode', () => {
    const input = speech(48000, 1);
    const encoder = new OpusEncoder();
    const p20 = encoder.encode(input.subarray(48000, 48960));
    const p10 = encoder.encode(input.subarray(48960, 49440));
    const p60 = encoder.encode(input.subarray(49440, 52320));
    const d48 = new OpusDecoder();
    const d16 = new OpusDecoder({ sampleRate: 16000 });
    expect(d48.packetSamples(p20)).toBe(960);
    expect(d16.packetSamples(p20)).toBe(320);
    expect(d48.packetSamples(p10)).toBe(480);
    expect(d48.packetSamples(p60)).toBe(2880);
    expect(d16.decode(p20)).toHaveLength(320);
    expect(d16.lastPacketDuration).toBe(320);
    expect(d48.decode(p60)).toHaveLength(2880);
    expect(d48.lastPacketDuration).toBe(2880);
  });
});

describe('Opus corrupt and random packets', () => {
  /** 0.5 s of 440 Hz, 48 kHz mono, and a check that a decoder turns it back into 440 Hz. */
  const input = tone(440, 48000, 0.5, { amplitude: 0.5 });
  const packets = encodeAll(new OpusEncoder(), input, 960);
  function expectDecodesTone(decoder: OpusDecoder): void {
    const decoded = decodeAll(decoder, packets);
    const steady = decoded.subarray(4800);
    expect(Math.abs(measureFrequency(steady, 48000) - 440)).toBeLessThan(0.5);
    expect(Math.abs(rmsDb(steady) - rmsDb(input.subarray(4800)))).toBeLessThan(1);
  }

  test.each([
    ['code 3 without its frame-count byte', [0x03]],
    ['code 3 with 63 frames of 10 ms (over 120 ms)', [0x03, 0x3f]],
    ['code 1 (two equal frames) with an odd payload', [0x01, 0x05]],
    ['code 2 whose first frame length runs past the end', [0x02, 0xff, 0xff]],
  ])('%s: Error ERR_VOXRTC_OPUS with libopus\'s reason; the decoder still decodes a valid stream', (_name, bytes) => {
    const decoder = new OpusDecoder();
    for (const decode of [(p: Uint8Array) => decoder.decode(p), (p: Uint8Array) => decoder.decodeFloat(p)]) {
      const error = opusError(() => decode(new Uint8Array(bytes)));
      expect(kindOf(error)).toBe('Error'); // an Error from the addon's realm: instanceof would say no
      expect(error.code).toBe('ERR_VOXRTC_OPUS');
      expect(error.opusError).toBe('OPUS_INVALID_PACKET');
      expect(error.message).toContain('corrupted stream');
    }
    expectDecodesTone(decoder);
  });

  test('code 3 with a frame count of 0 is reported as a corrupt packet by decode() and packetSamples()', () => {
    const decoder = new OpusDecoder();
    const error = opusError(() => decoder.decode(new Uint8Array([0xfb, 0x00])));
    expect(error.code).toBe('ERR_VOXRTC_OPUS');
    expect(error.opusError).toBe('OPUS_INVALID_PACKET');
    expect(error.message).toContain('corrupted stream');
    const samplesError = opusError(() => decoder.packetSamples(new Uint8Array([0xfb, 0x00])));
    expect(samplesError.opusError).toBe('OPUS_INVALID_PACKET');
  });

  test('10,000 random byte strings (1–1500 bytes, seeded): each decodes or throws ERR_VOXRTC_OPUS; the decoder then decodes a tone correctly', () => {
    const random = prngU32(0x5eed);
    const decoder = new OpusDecoder();
    let decoded = 0;
    let rejected = 0;
    const unexpected: string[] = [];
    for (let n = 0; n < 10000; n++) {
      const packet = randomBytes(random, 1 + (random() % 1500));
      try {
        const pcm = decoder.decode(packet);
        if (pcm.length === 0 || pcm.length > 5760 || pcm.length % 120 !== 0) unexpected.push(`#${n}: ${pcm.length} samples`);
        decoded++;
      } catch (error) {
        const e = error as Error & { code?: string };
        if (kindOf(e) !== 'Error' || e.code !== 'ERR_VOXRTC_OPUS') unexpected.push(`#${n}: ${String(error)}`);
        rejected++;
      }
    }
    expect(unexpected).toEqual([]);
    expect(decoded + rejected).toBe(10000);
    // Measured with this seed: about 5,600 decode and 4,400 are rejected.
    expect(decoded).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
    expectDecodesTone(decoder);
  });
});
