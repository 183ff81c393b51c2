/**
 * RemoteAudioTrack: real Opus and G.711 packets (made with voxrtc's own
 * encoders from a 1 kHz tone) pushed as RTP packets with real timers, as the
 * WebRTC glue does, and the decoded track judged as audio: pitch, level, a
 * contiguous timeline in real time — also through loss, reordering,
 * duplicates, jitter, stalls and an SSRC change — plus the unread-track
 * warning and a stop() that leaves no timer behind.
 */
import { AudioFrame, MediaStreamError, OpusEncoder, alawEncode, ulawEncode } from '../ts/index';
import { OPUS, PCMA, PCMU, type AudioCodec } from '../ts/rtc/codec';
import { RemoteAudioTrack as Track, type RemoteAudioTrackOptions } from '../ts/rtc/remote-audio-track';
import type { ReceivedRtpPacket } from '../ts/rtc/rtp-packet';
import { measureFrequency, prng, tone, toneLevelDb } from './helpers/audio';
import { activeTimeouts, joinFrames, rejection, sleep } from './helpers/media';

/** Every track a test makes, stopped after it (a failed test must not leave a live track's timer running). */
const made: Track[] = [];
class RemoteAudioTrack extends Track {
  constructor(options: RemoteAudioTrackOptions) {
    super(options);
    made.push(this);
  }
}
afterEach(() => {
  for (const track of made.splice(0)) track.stop();
});

const TONE_DB = 20 * Math.log10(0.5 / Math.SQRT2); // the 0.5-amplitude tone: -9.03 dBFS

type RtpPacket = Omit<ReceivedRtpPacket, 'arrivalMs'>;

interface StreamOptions {
  ssrc?: number;
  seq0?: number;
  ts0?: number;
  /** Index of the first packet (its audio, sequence number and timestamp continue from there). */
  from?: number;
}

/** `count` 20 ms Opus packets of a continuous 1 kHz tone (48 kHz mono, FEC on, 10 % expected loss). */
function opusPackets(count: number, options: StreamOptions = {}): RtpPacket[] {
  const { ssrc = 0x11223344, seq0 = 65500, ts0 = 2 ** 32 - 960 * 40, from = 0 } = options;
  const encoder = new OpusEncoder({ sampleRate: 48000, channels: 1, fec: true, packetLossPercent: 10 });
  const pcm = tone(1000, 48000, (from + count) * 0.02);
  const packets: RtpPacket[] = [];
  for (let i = 0; i < from + count; i++) {
    const payload = encoder.encode(pcm.subarray(i * 960, (i + 1) * 960));
    if (i < from) continue; // (encoded anyway: the encoder's state runs on as in a real stream)
    packets.push({ payloadType: OPUS.payloadType, sequenceNumber: (seq0 + i) % 65536, timestamp: (ts0 + 960 * i) % 2 ** 32, ssrc, marker: i === 0, payload });
  }
  return packets;
}

/** `count` 20 ms G.711 packets (160 bytes) of a 1 kHz tone at 8 kHz. */
function g711Packets(codec: AudioCodec, count: number): RtpPacket[] {
  const pcm = tone(1000, 8000, count * 0.02);
  const encode = codec.name === 'PCMU' ? ulawEncode : alawEncode;
  return Array.from({ length: count }, (_, i) => ({
    payloadType: codec.payloadType,
    sequenceNumber: (40000 + i) % 65536,
    timestamp: 777 + 160 * i,
    ssrc: 0x5eed,
    marker: i === 0,
    payload: encode(pcm.subarray(i * 160, (i + 1) * 160)),
  }));
}

/** Pushes each packet at its own time (ms from now), stamped with its real arrival time; resolves after the last. */
async function deliver(track: RemoteAudioTrack, schedule: Array<{ at: number; packet: RtpPacket }>): Promise<void> {
  const sorted = [...schedule].sort((a, b) => a.at - b.at);
  const start = performance.now();
  for (const { at, packet } of sorted) {
    const wait = start + at - performance.now();
    if (wait > 0) await sleep(wait);
    track.pushPacket({ ...packet, arrivalMs: performance.now() });
  }
}

/** Every packet 20 ms after the previous one. */
function paced(packets: RtpPacket[], offsetMs = 0): Array<{ at: number; packet: RtpPacket }> {
  return packets.map((packet, i) => ({ at: offsetMs + 20 * i, packet }));
}

/** Reads the track until it ends; records when each frame came. */
async function readAll(track: RemoteAudioTrack): Promise<{ frames: AudioFrame[]; times: number[] }> {
  const frames: AudioFrame[] = [];
  const times: number[] = [];
  for await (const frame of track) {
    frames.push(frame);
    times.push(performance.now());
  }
  return { frames, times };
}

function expectContiguous(frames: AudioFrame[], samplesPerFrame: number): void {
  frames.forEach((frame, i) => {
    expect(frame.samplesPerChannel).toBe(samplesPerFrame);
    if (frame.pts !== i * samplesPerFrame) throw new Error(`frame ${i}: pts ${frame.pts}, expected ${i * samplesPerFrame}`);
  });
}

describe('RemoteAudioTrack: decoding', () => {
  test('Opus at 20 ms pace: a 1 kHz tone at 48 kHz stereo (the default), level kept, contiguous pts, low latency', async () => {
    const track = new RemoteAudioTrack({ codec: OPUS });
    expect([track.sampleRate, track.channels, track.format, track.samplesPerFrame]).toEqual([48000, 2, 's16', 960]);
    const reading = readAll(track);
    const packets = opusPackets(50);
    await deliver(track, paced(packets));
    track.endOfStream();
    const { frames } = await reading;
    expect(frames.length).toBe(50);
    expectContiguous(frames, 960);
    for (const f of frames) expect([f.sampleRate, f.channels, f.format, f.timeBase.den]).toEqual([48000, 2, 's16', 48000]);
    const left = joinFrames(frames).subarray(4800); // after 100 ms of codec start-up
    expect(Math.abs(measureFrequency(left, 48000) - 1000)).toBeLessThan(2);
    expect(Math.abs(toneLevelDb(left, 48000, 1000) - TONE_DB)).toBeLessThan(1);
    const right = frames[25].channelData(1);
    expect(Array.from(right)).toEqual(Array.from(frames[25].channelData(0))); // mono stream decoded to both channels
    const s = track.stats();
    expect(s).toMatchObject({ packetsReceived: 50, packetsLost: 0, framesDecoded: 50, fecFrames: 0, plcFrames: 0, silenceFrames: 0, queueDrops: 0 });
    expect(s.latencyMs.count).toBe(50);
    expect(s.latencyMs.p50).toBeLessThan(10); // decoded on arrival (loose: a shared machine)
    expect(s.deliveryLatencyMs.count).toBe(50); // a reader was waiting: handed over at once
    expect(s.deliveryLatencyMs.p50).toBeLessThan(10);
    expect(s.bufferDelayMs).toBeLessThan(5);
    expect(track.readyState).toBe('ended');
  });

  test('delivery latency counts the time a frame waits for its reader; queue latency does not', async () => {
    const track = new RemoteAudioTrack({ codec: OPUS, output: { sampleRate: 48000, channels: 1 } });
    await deliver(track, paced(opusPackets(15))); // 300 ms with nobody reading
    await sleep(100);
    const frames: AudioFrame[] = [];
    for (let i = 0; i < 15; i++) frames.push(await track.recv());
    const s = track.stats();
    expect(s.latencyMs.p50).toBeLessThan(10);
    expect(s.deliveryLatencyMs.count).toBe(15);
    // the first frame waited ~280 ms + 100 ms, the last ~100 ms
    expect(s.deliveryLatencyMs.max).toBeGreaterThan(300);
    expect(s.deliveryLatencyMs.p50).toBeGreaterThan(150);
    expect(Math.abs(measureFrequency(joinFrames(frames.slice(5)), 48000) - 1000)).toBeLessThan(2);
    track.stop();
  });

  test('live mode: a read drops the oldest frames beyond the limit, counts them, and the pts jump over them', async () => {
    const track = new RemoteAudioTrack({ codec: OPUS, output: { sampleRate: 48000, channels: 1 } });
    track.setLiveLatency(2);
    const packets = opusPackets(10);
    for (const packet of packets) track.pushPacket({ ...packet, arrivalMs: performance.now() }); // a burst of 10
    expect(track.stats().queueSize).toBe(10);
    const first = await track.recv();
    expect(track.stats()).toMatchObject({ latencyDrops: 8, queueSize: 1 });
    expect(first.pts).toBe(8 * 960); // frames 0-7 dropped
    expect((await track.recv()).pts).toBe(9 * 960);
    track.setLiveLatency(undefined); // off again: nothing more dropped
    for (const packet of opusPackets(5, { from: 10, seq0: 65500, ts0: 2 ** 32 - 960 * 40 })) track.pushPacket({ ...packet, arrivalMs: performance.now() });
    const size = track.stats().queueSize;
    expect(size).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < size; i++) await track.recv();
    expect(track.stats().latencyDrops).toBe(8);
    expect(() => track.setLiveLatency(-1)).toThrow(/RemoteAudioTrack\.setLiveLatency: maxQueuedFrames must be/);
    track.stop();
  });

  test('Opus to { sampleRate: 16000, channels: 1 } (speech-to-text) and to f32', async () => {
    for (const format of ['s16', 'f32'] as const) {
      const track = new RemoteAudioTrack({ codec: OPUS, output: { sampleRate: 16000, channels: 1, format } });
      const reading = readAll(track);
      // a burst: the track decodes as fast as packets come
      for (const packet of opusPackets(40)) track.pushPacket({ ...packet, arrivalMs: performance.now() });
      track.endOfStream();
      const { frames } = await reading;
      expect(frames.length).toBe(40);
      expectContiguous(frames, 320);
      expect(frames.every((f) => f.sampleRate === 16000 && f.channels === 1 && f.format === format)).toBe(true);
      const pcm = joinFrames(frames).subarray(1600);
      expect(Math.abs(measureFrequency(pcm, 16000) - 1000)).toBeLessThan(2);
      expect(Math.abs(toneLevelDb(pcm, 16000, 1000) - TONE_DB)).toBeLessThan(1);
    }
  });

  test.each([
    ['PCMU', PCMU],
    ['PCMA', PCMA],
  ])('%s at 20 ms pace: resampled to 48 kHz mono, tone and level kept, contiguous pts; a lost packet is silence', async (_, codec) => {
    const track = new RemoteAudioTrack({ codec, output: { sampleRate: 48000 } });
    expect(track.channels).toBe(1);
    const reading = readAll(track);
    const packets = g711Packets(codec, 40);
    await deliver(track, paced(packets.filter((_, i) => i !== 30)));
    track.endOfStream();
    const { frames } = await reading;
    expect(Math.abs(frames.length - 40)).toBeLessThanOrEqual(1); // (+1: the resampler's tail, padded)
    expectContiguous(frames, 960);
    const pcm = joinFrames(frames);
    const steady = pcm.subarray(960 * 2, 960 * 29);
    expect(Math.abs(measureFrequency(steady, 48000) - 1000)).toBeLessThan(2);
    expect(Math.abs(toneLevelDb(steady, 48000, 1000) - TONE_DB)).toBeLessThan(1);
    // the lost 20 ms (packet 30) is silent in the middle
    const hole = pcm.subarray(960 * 30 + 200, 960 * 31 - 200);
    expect(Math.max(...Array.from(hole, Math.abs))).toBeLessThan(300); // (the resampler's filter smears the edges)
    expect(track.stats()).toMatchObject({ packetsLost: 1, silenceFrames: 1, fecFrames: 0, plcFrames: 0, framesDecoded: 39 });
  });
});

describe('RemoteAudioTrack: an impaired network', () => {
  test('10 % loss, reordering, duplicates and jitter: continuous timeline in real time, FEC and PLC counted, pitch kept (seeded)', async () => {
    const random = prng(2024);
    const n = 150; // 3 s
    const packets = opusPackets(n);
    const schedule: Array<{ at: number; packet: RtpPacket }> = [];
    const dropped = new Set<number>([60, 61]); // a double loss: the first can only be concealed
    for (let i = 5; i < n - 2; i++) if (random() < 0.1) dropped.add(i);
    let reordered = 0;
    let duplicated = 0;
    packets.forEach((packet, i) => {
      if (dropped.has(i)) return;
      let at = 20 * i + random() * 10; // jitter
      if (i % 17 === 8 && !dropped.has(i + 1)) {
        at += 25; // arrives after the next one
        reordered++;
      }
      schedule.push({ at, packet });
      if (random() < 0.05) {
        schedule.push({ at: at + 3 + random() * 20, packet });
        duplicated++;
      }
    });
    const track = new RemoteAudioTrack({ codec: OPUS, output: { channels: 1 } });
    const reading = readAll(track);
    const start = performance.now();
    await deliver(track, schedule);
    track.endOfStream();
    const { frames, times } = await reading;

    // real time: one 20 ms frame per packet sent (lost ones filled), none early, none very late
    expect(Math.abs(frames.length - n)).toBeLessThanOrEqual(3);
    expectContiguous(frames, 960);
    // (a machine stalled for longer than the track's grace makes it fill the stall, as it must: each such frame
    // is one more in the timeline, and the later frames are that much earlier by index)
    const filled = Math.max(0, frames.length - n);
    for (let k = 0; k < frames.length - 5; k++) {
      expect(times[k] - start).toBeGreaterThanOrEqual(20 * (k - filled) - 5); // no frame before its packet was sent
      expect(times[k] - start).toBeLessThan(20 * k + 400); // and none stuck (loose: a shared machine)
    }
    const s = track.stats();
    expect(reordered).toBeGreaterThan(3);
    expect(duplicated).toBeGreaterThan(2);
    expect(s.packetsDuplicate).toBeGreaterThanOrEqual(duplicated);
    expect(s.packetsReordered + s.packetsLate).toBeGreaterThanOrEqual(reordered);
    expect(s.packetsLost).toBeGreaterThanOrEqual(dropped.size);
    expect(s.packetsLost).toBeLessThanOrEqual(dropped.size + s.packetsLate);
    expect(s.fecFrames).toBeGreaterThan(0);
    expect(s.plcFrames).toBeGreaterThan(0);
    expect(s.fecFrames + s.plcFrames + s.silenceFrames).toBeGreaterThanOrEqual(s.packetsLost);
    expect(s.framesDecoded).toBe(n - s.packetsLost);
    expect(s.jitterMs).toBeGreaterThan(0.5);
    const pcm = joinFrames(frames).subarray(4800);
    expect(Math.abs(measureFrequency(pcm, 48000) - 1000)).toBeLessThan(2);
    expect(Math.abs(toneLevelDb(pcm, 48000, 1000) - TONE_DB)).toBeLessThan(3); // FEC/PLC frames are close, not exact
  });

  test('FEC rebuilds a single lost packet better than PLC does', async () => {
    // Same stream, same loss (packet 30), decoded twice: once with the next packet there (FEC), once without (PLC).
    const measure = async (withSuccessor: boolean): Promise<{ level: number; s: ReturnType<RemoteAudioTrack['stats']> }> => {
      const track = new RemoteAudioTrack({ codec: OPUS, output: { channels: 1 } });
      const reading = readAll(track);
      const packets = opusPackets(40).filter((_, i) => i !== 30 && (withSuccessor || i !== 31));
      for (const packet of packets) track.pushPacket({ ...packet, arrivalMs: performance.now() });
      track.endOfStream();
      const { frames } = await reading;
      return { level: toneLevelDb(frames[30].data as Int16Array, 48000, 1000), s: track.stats() };
    };
    const fec = await measure(true);
    const plc = await measure(false);
    expect(fec.s).toMatchObject({ packetsLost: 1, fecFrames: 1, plcFrames: 0 });
    expect(plc.s).toMatchObject({ packetsLost: 2, fecFrames: 1, plcFrames: 1 }); // 30 concealed, 31 from 32's FEC
    // the FEC frame keeps the tone's level (measured: -9.0 dBFS); the concealed one fades (measured: -17 dBFS)
    expect(Math.abs(fec.level - TONE_DB)).toBeLessThan(1);
    expect(plc.level).toBeLessThan(fec.level - 3);
  });

  test('a stall: PLC, then silence paced by the wall clock; when packets resume the timeline goes on without a gap or a burst', async () => {
    const track = new RemoteAudioTrack({ codec: OPUS, output: { channels: 1 } });
    const reading = readAll(track);
    const start = performance.now();
    const all = opusPackets(70);
    // 10 packets, then nothing for 800 ms (40 packets lost in the network), then 20 more
    await deliver(track, paced(all.slice(0, 10)));
    await sleep(start + 1000 - performance.now()); // packet 50 is due at 1 s
    const mid = track.stats();
    const midFrames = mid.framesQueued;
    const elapsed = performance.now() - start;
    // frames kept coming in real time during the stall (less the grace before filling starts)
    expect(midFrames).toBeGreaterThanOrEqual(Math.floor((elapsed - 120 - 100) / 20));
    expect(midFrames).toBeLessThanOrEqual(Math.ceil(elapsed / 20) + 1);
    expect(mid.plcFrames).toBeGreaterThanOrEqual(1);
    expect(mid.plcFrames).toBeLessThanOrEqual(6); // 100 ms of concealment at most
    expect(mid.silenceFrames).toBeGreaterThan(15);
    await deliver(track, paced(all.slice(50)));
    const beforeEnd = track.stats().framesQueued;
    const total = performance.now() - start;
    track.endOfStream();
    const { frames } = await reading;
    expectContiguous(frames, 960);
    // no burst: about one frame per 20 ms of wall time, never more than the time allows
    expect(beforeEnd).toBeLessThanOrEqual(Math.ceil(total / 20) + 2);
    expect(beforeEnd).toBeGreaterThanOrEqual(Math.floor(total / 20) - 8);
    const s = track.stats();
    expect(s.packetsLost).toBe(40);
    expect(s.framesDecoded).toBe(30);
    // the tone is back after the stall
    const after = joinFrames(frames.slice(-15));
    expect(Math.abs(measureFrequency(after, 48000) - 1000)).toBeLessThan(2);
  });

  test('a sender pausing without DTX, then going on (contiguous sequence, timestamps jumped): no doubled time', async () => {
    const track = new RemoteAudioTrack({ codec: PCMU, output: { sampleRate: 8000 } });
    const reading = readAll(track);
    const start = performance.now();
    const packets = g711Packets(PCMU, 40);
    await deliver(track, paced(packets.slice(0, 10)));
    await sleep(600);
    const jump = 160 * Math.round((performance.now() - start) / 20 - 10); // what a real sender's clock moved
    const later = packets.slice(10).map((p) => ({ ...p, timestamp: p.timestamp + jump }));
    await deliver(track, paced(later));
    const total = performance.now() - start;
    const queued = track.stats().framesQueued;
    track.endOfStream();
    const { frames } = await reading;
    expectContiguous(frames, 160);
    expect(queued).toBeLessThanOrEqual(Math.ceil(total / 20) + 2);
    expect(queued).toBeGreaterThanOrEqual(Math.floor(total / 20) - 8);
    expect(track.stats()).toMatchObject({ packetsLost: 0, framesDecoded: 40 });
  });

  test('an SSRC change mid-stream: a new timeline for the decoder, none for the reader', async () => {
    const track = new RemoteAudioTrack({ codec: OPUS, output: { sampleRate: 24000, channels: 1 } });
    const reading = readAll(track);
    const first = opusPackets(20);
    const second = opusPackets(20, { ssrc: 0xfeedbeef, seq0: 7, ts0: 123, from: 20 });
    for (const packet of [...first, ...second]) track.pushPacket({ ...packet, arrivalMs: performance.now() });
    track.endOfStream();
    const { frames } = await reading;
    expect(frames.length).toBe(40);
    expectContiguous(frames, 480);
    expect(track.stats()).toMatchObject({ resets: 1, packetsLost: 0, framesDecoded: 40 });
    const pcm = joinFrames(frames).subarray(2400);
    expect(Math.abs(measureFrequency(pcm, 24000) - 1000)).toBeLessThan(2);
  });
});

describe('RemoteAudioTrack: lifecycle and misuse', () => {
  test('an unread track drops its oldest frames, counts them and warns once, naming the track and the fix', async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const track = new RemoteAudioTrack({ codec: OPUS, output: { channels: 1 }, maxQueueFrames: 10, id: 'caller-mic' });
      const packets = opusPackets(100);
      for (const packet of packets.slice(0, 60)) track.pushPacket({ ...packet, arrivalMs: performance.now() });
      await sleep(5);
      for (const packet of packets.slice(60)) track.pushPacket({ ...packet, arrivalMs: performance.now() });
      expect(track.stats()).toMatchObject({ queueDrops: 90, queueSize: 10, framesQueued: 100 });
      expect(emitWarning).toHaveBeenCalledTimes(1);
      const [message, options] = emitWarning.mock.calls[0] as unknown as [string, { code: string }];
      expect(options.code).toBe('VOXRTC_TRACK_UNREAD');
      expect(message).toMatch(/^RemoteAudioTrack track caller-mic is not being read \(or not fast enough\): its queue of 10 frames \(200 ms\) is full/);
      expect(message).toMatch(/MediaBlackHole/);
      // what is left are the newest frames
      const next = await track.recv();
      expect(next.pts).toBe(90 * 960);
    } finally {
      emitWarning.mockRestore();
    }
  });

  test('stop() clears every timer, ends pending reads and ignores later packets', async () => {
    const base = activeTimeouts();
    const track = new RemoteAudioTrack({ codec: OPUS, jitterBuffer: { minDelayMs: 100 } });
    const packets = opusPackets(5);
    track.pushPacket({ ...packets[0], arrivalMs: performance.now() });
    track.pushPacket({ ...packets[2], arrivalMs: performance.now() }); // a gap: a jitter-buffer deadline is pending
    expect(track.stats().packetsLost).toBe(0);
    await track.recv();
    const pending = track.recv();
    const before = activeTimeouts();
    expect(before).toBe(base + 1); // one timer serves the deadline and the stall watch
    let ended = 0;
    track.on('ended', () => ended++);
    track.stop();
    // (counted synchronously around the call, so other timers in the process cannot blur the count)
    expect(activeTimeouts()).toBe(before - 1);
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(MediaStreamError);
    expect((error as MediaStreamError).code).toBe('ERR_VOXRTC_TRACK_ENDED');
    expect(ended).toBe(1);
    const afterStop = activeTimeouts();
    track.pushPacket({ ...packets[1], arrivalMs: performance.now() });
    track.endOfStream();
    expect(activeTimeouts()).toBe(afterStop);
    expect(track.stats().packetsReceived).toBe(2);
    track.stop(); // idempotent
  });

  test('endOfStream() lets the reader take what is queued, then the track ends; no timer is left', async () => {
    const base = activeTimeouts();
    const track = new RemoteAudioTrack({ codec: PCMA, output: { sampleRate: 8000 } });
    for (const packet of g711Packets(PCMA, 5)) track.pushPacket({ ...packet, arrivalMs: performance.now() });
    expect(activeTimeouts()).toBe(base + 1);
    track.endOfStream();
    expect(activeTimeouts()).toBe(base);
    expect(track.readyState).toBe('live');
    const frames: AudioFrame[] = [];
    for (let i = 0; i < 5; i++) frames.push(await track.recv());
    expectContiguous(frames, 160);
    const error = await rejection(track.recv());
    expect((error as MediaStreamError).code).toBe('ERR_VOXRTC_TRACK_ENDED');
    expect(track.readyState).toBe('ended');
  });

  test('a track that has received nothing produces nothing and holds no timer', async () => {
    const base = activeTimeouts();
    const track = new RemoteAudioTrack({ codec: OPUS });
    expect(activeTimeouts()).toBe(base);
    const read = track.recv();
    await sleep(150);
    expect(track.stats().framesQueued).toBe(0);
    track.stop();
    await expect(read).rejects.toBeInstanceOf(MediaStreamError);
  });

  test('bad options and packets give errors that name the field, what it must be and what it was', () => {
    expect(() => new RemoteAudioTrack(undefined as never)).toThrow(/^RemoteAudioTrack: options must be an object with a codec; got undefined$/);
    expect(() => new RemoteAudioTrack({ codec: { ...OPUS, name: 'G722' as never } })).toThrow(
      /^RemoteAudioTrack: options.codec.name must be one of 'opus', 'PCMU' or 'PCMA'; got "G722"$/,
    );
    expect(() => new RemoteAudioTrack({ codec: { ...OPUS, clockRate: 16000 } })).toThrow(/options.codec.clockRate must be 48000 for Opus \(RFC 7587\); got 16000/);
    expect(() => new RemoteAudioTrack({ codec: OPUS, output: { sampleRate: 11025 } })).toThrow(
      /^RemoteAudioTrack: options.output.sampleRate must be a multiple of 50 Hz \(a whole number of samples in 20 ms\); got 11025$/,
    );
    expect(() => new RemoteAudioTrack({ codec: OPUS, output: { rate: 16000 } as never })).toThrow(/options.output.rate is not an option; known options are sampleRate, channels, format/);
    expect(() => new RemoteAudioTrack({ codec: OPUS, output: { channels: 0 } })).toThrow(/options.output.channels must be an integer from 1 to 8; got 0/);
    expect(() => new RemoteAudioTrack({ codec: OPUS, maxQueueFrames: 0 })).toThrow(/options.maxQueueFrames must be an integer from 1 to 3000; got 0/);
    expect(() => new RemoteAudioTrack({ codec: OPUS, jitterBuffer: { maxDelayMs: -1 } })).toThrow(
      /options.jitterBuffer.maxDelayMs must be a number of milliseconds from 0 to 1000; got -1/,
    );
    expect(() => new RemoteAudioTrack({ codec: OPUS, jitterBuffer: { minDelayMs: 300 } })).toThrow(
      /^RemoteAudioTrack: options.jitterBuffer.minDelayMs must be at most maxDelayMs \(200\); got 300$/,
    );
    expect(() => new RemoteAudioTrack({ codec: OPUS, quality: 'low' as never })).toThrow(/options.quality must be one of 'fastest', 'medium' or 'best'; got "low"/);
    const track = new RemoteAudioTrack({ codec: OPUS });
    const good: ReceivedRtpPacket = { ...opusPackets(1)[0], arrivalMs: performance.now() };
    expect(() => track.pushPacket({ ...good, sequenceNumber: 70000 })).toThrow(
      /^RemoteAudioTrack.pushPacket: packet.sequenceNumber must be an integer from 0 to 65535; got 70000$/,
    );
    expect(() => track.pushPacket({ ...good, payload: [1, 2] as never })).toThrow(/packet.payload must be a Uint8Array or a Buffer; got an Array of 2 items/);
    expect(() => track.pushPacket({ ...good, arrivalMs: undefined as never })).toThrow(/packet.arrivalMs must be a finite number \(performance.now\(\) when the packet arrived\); got undefined/);
    expect(() => track.pushPacket(null as never)).toThrow(/packet must be a ReceivedRtpPacket object; got null/);
    track.stop();
  });

  test('packets of another payload type (DTMF) are skipped without a gap; a corrupt Opus packet is concealed', async () => {
    const track = new RemoteAudioTrack({ codec: OPUS, output: { channels: 1 } });
    const reading = readAll(track);
    const packets = opusPackets(30);
    const dtmf: RtpPacket = { ...packets[10], payloadType: 101, payload: new Uint8Array([5, 0x80, 0, 160]) };
    const shifted = packets.map((p, i) => (i < 10 ? p : { ...p, sequenceNumber: (p.sequenceNumber + 1) % 65536 }));
    const corrupt = { ...shifted[20], payload: new Uint8Array([0x7b, 0xff]) }; // code 3 with 63 frames: more than 120 ms
    const stream = [...shifted.slice(0, 10), dtmf, ...shifted.slice(10, 20), corrupt, ...shifted.slice(21)];
    for (const packet of stream) track.pushPacket({ ...packet, arrivalMs: performance.now() });
    track.endOfStream();
    const { frames } = await reading;
    expectContiguous(frames, 960);
    expect(frames.length).toBe(30);
    expect(track.stats()).toMatchObject({ packetsIgnored: 1, decodeErrors: 1, packetsLost: 0, framesDecoded: 29, plcFrames: 1 });
  });
});
