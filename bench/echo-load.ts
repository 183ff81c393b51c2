/**
 * The load generator of the echo benchmark, in its own process (pinned to
 * another core than the echo): the callers. Each call is a werift
 * `RTCPeerConnection` that offers one sendrecv Opus stream (48 kHz/2,
 * useinbandfec=1, the audio-level extension: what voxrtc and browsers offer)
 * and, once connected, sends speech as a browser would: 20 ms Opus packets
 * on an absolute 20 ms clock, each call at its own phase. What comes back is
 * counted per RTP packet and decoded by a voxrtc `RemoteAudioTrack` (16 kHz
 * mono, the cheapest Opus output) whose frames are read and measured.
 *
 * The speech is encoded once, when the process starts (libopus through
 * voxrtc's OpusEncoder, voip, 32 kbit/s, FEC at 10% loss, complexity 10 like
 * a desktop browser), and every call sends those packets from its own offset
 * in the loop: the callers cost only RTP, SRTP and UDP per packet, so one
 * core can generate far more calls than the echo side can carry, and the
 * echo is the only thing measured. (Callers that encoded per call would cost
 * about what the echo costs and run out of core first.)
 *
 * Started by bench/echo.ts; not meant to be run alone.
 */
import * as fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
  useAudioLevelIndication,
  type RTCRtpTransceiver,
  type MediaStreamTrack as WeriftTrack,
} from 'werift';
import { OPUS, OpusEncoder, RemoteAudioTrack } from '../ts';
import { receivedRtpPacket } from '../ts/rtc/werift-rtp';
import type { AnswerResult, LoadCallReport, LoadConfig, LoadReport } from './echo-protocol';
import { Rpc } from './ipc';

const FRAME_MS = 20;
const SAMPLES = 960;

let packets: Buffer[] = [];
/** Level of each packet's speech (dBFS, floored), for matching the returned audio's envelope. */
let envelope = new Float32Array(0);
let sentDb = -Infinity;
const FLOOR_DB = -90;
/** Sends and received frames remembered per call for the round-trip estimate. */
const LOG = 512;
/** Received frames (20 ms) the round trip is estimated from: the window's last 5 s. */
const MATCH_FRAMES = 250;
const MAX_ROUND_TRIP_MS = 2000;

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const warnings: Record<string, number> = {};
process.on('warning', (warning: Error & { code?: string }) => {
  const code = warning.code ?? warning.name;
  warnings[code] = (warnings[code] ?? 0) + 1;
});

function levelDb(sumSq: number, n: number): number {
  return n > 0 && sumSq > 0 ? Math.max(FLOOR_DB, 10 * Math.log10(sumSq / n / 32768 ** 2)) : FLOOR_DB;
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i];
    sy += y[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx;
    const b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

function encodeSpeech(config: LoadConfig): void {
  const bytes = fs.readFileSync(config.speechFile);
  const speech = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
  const encoder = new OpusEncoder({
    sampleRate: 48000,
    channels: 1,
    application: 'voip',
    bitrate: config.bitrate,
    complexity: config.complexity,
    fec: true,
    packetLossPercent: 10,
  });
  const frames = Math.floor(speech.length / SAMPLES);
  let sumSq = 0;
  envelope = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    const frame = speech.slice(f * SAMPLES, (f + 1) * SAMPLES);
    let frameSq = 0;
    for (const s of frame) frameSq += s * s;
    sumSq += frameSq;
    envelope[f] = levelDb(frameSq, SAMPLES);
    packets.push(Buffer.from(encoder.encode(frame)));
  }
  encoder.close();
  sentDb = 10 * Math.log10(sumSq / (frames * SAMPLES) / 32768 ** 2);
}

function peerConfig(): ConstructorParameters<typeof RTCPeerConnection>[0] {
  return {
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111, parameters: 'minptime=10;useinbandfec=1' })],
      video: [],
    },
    headerExtensions: { audio: [useAudioLevelIndication()] },
    iceServers: [],
    iceUseIpv4: true,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    // Only 127.0.0.1 ↔ 127.0.0.1 (the signalling already drops the other remote candidates; this drops our other local ones).
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1' && pair.remoteCandidate.host === '127.0.0.1',
  };
}

/** Send-timer lateness of all calls since the mark, ms. */
let lateness: number[] = [];

class Call {
  readonly pc = new RTCPeerConnection(peerConfig());
  private readonly transceiver: RTCRtpTransceiver;
  private readonly track = new RemoteAudioTrack({ codec: OPUS, output: { sampleRate: 16000, channels: 1 } });
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private k = 0;
  private sequence = Math.floor(Math.random() * 0x8000);
  private timestamp = Math.floor(Math.random() * 0x7fffffff);
  private readonly offset: number;
  private closed = false;
  counters = { packetsSent: 0, rtpReceived: 0, sumSq: 0, samples: 0 };
  private markCounters = { ...this.counters, framesDecoded: 0, packetsLost: 0, plcFrames: 0 };
  firstEcho: Promise<void>;
  private gotEcho!: () => void;
  // Rings: when each packet was sent and which speech packet it was; when each frame came back and its level.
  private readonly sendTimes = new Float64Array(LOG);
  private readonly sendPackets = new Int32Array(LOG);
  private sends = 0;
  private readonly recvTimes = new Float64Array(LOG);
  private readonly recvDb = new Float32Array(LOG);
  private recvs = 0;

  constructor(index: number) {
    this.offset = (index * 97) % packets.length;
    this.firstEcho = new Promise((resolve) => (this.gotEcho = resolve));
    this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    const bind = (remote: WeriftTrack): void => {
      remote.onReceiveRtp.subscribe((rtp: RtpPacket) => {
        this.counters.rtpReceived++;
        this.gotEcho();
        this.track.pushPacket(receivedRtpPacket(rtp, performance.now()));
      });
    };
    this.transceiver.onTrack.subscribe(bind);
    void this.read();
  }

  private async read(): Promise<void> {
    try {
      for await (const frame of this.track) {
        const data = frame.data as Int16Array;
        let sum = 0;
        for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
        this.counters.sumSq += sum;
        this.counters.samples += data.length;
        const at = this.recvs++ % LOG;
        this.recvTimes[at] = performance.now();
        this.recvDb[at] = levelDb(sum, data.length);
      }
    } catch {
      // ended
    }
  }

  async offer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const sub = this.pc.iceGatheringStateChange.subscribe((state) => {
          if (state === 'complete') {
            sub.unSubscribe();
            resolve();
          }
        });
      });
    }
    return this.pc.localDescription!.sdp;
  }

  async accept(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    if (this.pc.connectionState !== 'connected') {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not connected after 20 s (${this.pc.connectionState})`)), 20_000);
        const sub = this.pc.connectionStateChange.subscribe((state) => {
          if (state === 'connected') {
            clearTimeout(timer);
            sub.unSubscribe();
            resolve();
          } else if (state === 'failed' || state === 'closed') {
            clearTimeout(timer);
            sub.unSubscribe();
            reject(new Error(`connection ${state}`));
          }
        });
      });
    }
  }

  /** Starts sending at `phaseMs` from now, then every 20 ms on an absolute clock. */
  start(phaseMs: number): void {
    this.t0 = performance.now() + phaseMs;
    this.timer = setTimeout(() => this.tick(), phaseMs);
  }

  private tick(): void {
    if (this.closed) return;
    const now = performance.now();
    const due = this.t0 + this.k * FRAME_MS;
    lateness.push(now - due);
    // Behind by more than a packet (a stalled process): skip, do not burst.
    if (now - due > 3 * FRAME_MS) {
      const skip = Math.floor((now - due) / FRAME_MS);
      this.k += skip;
      this.timestamp = (this.timestamp + skip * SAMPLES) >>> 0;
    }
    const index = (this.offset + this.k) % packets.length;
    const payload = packets[index];
    const at = this.sends++ % LOG;
    this.sendTimes[at] = now;
    this.sendPackets[at] = index;
    const header = new RtpHeader({ payloadType: 111, sequenceNumber: this.sequence, timestamp: this.timestamp, marker: this.k === 0 });
    this.transceiver.sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
    this.counters.packetsSent++;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + SAMPLES) >>> 0;
    this.k++;
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.t0 + this.k * FRAME_MS - performance.now()));
  }

  mark(): void {
    const s = this.track.stats();
    this.markCounters = { ...this.counters, framesDecoded: s.framesDecoded, packetsLost: s.packetsLost, plcFrames: s.plcFrames };
  }

  report(): LoadCallReport {
    const s = this.track.stats();
    const m = this.markCounters;
    const samples = this.counters.samples - m.samples;
    return {
      connectionState: this.pc.connectionState,
      packetsSent: this.counters.packetsSent - m.packetsSent,
      rtpReceived: this.counters.rtpReceived - m.rtpReceived,
      framesDecoded: s.framesDecoded - m.framesDecoded,
      packetsLost: s.packetsLost - m.packetsLost,
      plcFrames: s.plcFrames - m.plcFrames,
      deliveryLatencyMs: s.deliveryLatencyMs,
      returnedDb: samples > 0 ? 10 * Math.log10((this.counters.sumSq - m.sumSq) / samples / 32768 ** 2) : -Infinity,
      ...this.roundTrip(),
    };
  }

  /**
   * The delay D that best lines up the returned frames' levels with the
   * levels of what was sent D earlier (Pearson correlation of dB levels,
   * 10 ms steps, then 1 ms steps around the best).
   */
  private roundTrip(): { roundTripMs: number | null; roundTripCorrelation: number | null } {
    const n = Math.min(this.recvs, MATCH_FRAMES, LOG);
    const sendCount = Math.min(this.sends, LOG);
    if (n < 100 || sendCount < 100) return { roundTripMs: null, roundTripCorrelation: null };
    // The send ring in time order.
    const times: number[] = [];
    const levels: number[] = [];
    for (let i = this.sends - sendCount; i < this.sends; i++) {
      times.push(this.sendTimes[i % LOG]);
      levels.push(envelope[this.sendPackets[i % LOG]]);
    }
    const recvT: number[] = [];
    const recvL: number[] = [];
    for (let i = this.recvs - n; i < this.recvs; i++) {
      recvT.push(this.recvTimes[i % LOG]);
      recvL.push(this.recvDb[i % LOG]);
    }
    const score = (delay: number): number => {
      const x: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = recvT[i] - delay;
        // The last packet sent at or before t.
        let lo = 0;
        let hi = times.length - 1;
        if (t < times[0]) continue;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (times[mid] <= t) lo = mid;
          else hi = mid - 1;
        }
        x.push(levels[lo]);
        y.push(recvL[i]);
      }
      return x.length >= 50 ? pearson(x, y) : -1;
    };
    let best = 0;
    let bestScore = -2;
    for (let d = 0; d <= MAX_ROUND_TRIP_MS; d += 10) {
      const r = score(d);
      if (r > bestScore) [best, bestScore] = [d, r];
    }
    for (let d = Math.max(0, best - 10); d <= best + 10; d += 1) {
      const r = score(d);
      if (r > bestScore) [best, bestScore] = [d, r];
    }
    return { roundTripMs: best, roundTripCorrelation: bestScore };
  }

  selectedPair(): string | null {
    const pair = (this.pc.iceTransports[0] as unknown as { connection?: { nominated?: { toJSON(): { localCandidate: string; remoteCandidate: string } } } })
      ?.connection?.nominated;
    if (!pair) return null;
    const json = pair.toJSON();
    return `${json.localCandidate} → ${json.remoteCandidate}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.track.stop();
    await this.pc.close();
  }
}

const calls: Call[] = [];
let windowStart: { cpu: NodeJS.CpuUsage; wall: number } | null = null;

async function addCalls(args: unknown): Promise<{ calls: number; connectMs: number }> {
  const { count, parallel, phaseSlots } = args as { count: number; parallel: number; phaseSlots: number };
  const started = performance.now();
  const fresh: Call[] = [];
  const connectOne = async (): Promise<void> => {
    const call = new Call(calls.length + fresh.length);
    fresh.push(call);
    const sdp = await call.offer();
    const answer = await rpc.call<AnswerResult>('offer', { sdp });
    await call.accept(answer.sdp);
    // Spread the calls over the 20 ms: call i starts at its own phase.
    const index = calls.length + fresh.indexOf(call);
    call.start(((index * 7) % phaseSlots) * (FRAME_MS / phaseSlots));
  };
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, connectOne));
  }
  // Every call hears its echo before the step is measured.
  await Promise.race([
    Promise.all(fresh.map((call) => call.firstEcho)),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no echo on some call within 10 s')), 10_000)),
  ]);
  calls.push(...fresh);
  return { calls: calls.length, connectMs: performance.now() - started };
}

function mark(): null {
  for (const call of calls) call.mark();
  lateness = [];
  loopDelay.reset();
  windowStart = { cpu: process.cpuUsage(), wall: performance.now() };
  return null;
}

function report(): LoadReport {
  if (!windowStart) throw new Error('report before mark');
  const cpu = process.cpuUsage(windowStart.cpu);
  const wallMs = performance.now() - windowStart.wall;
  const loopP99 = loopDelay.percentile(99) / 1e6;
  const loopMax = loopDelay.max / 1e6;
  const sorted = lateness.sort((a, b) => a - b);
  const p99 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] : 0;
  windowStart = null;
  return {
    wallMs,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    calls: calls.map((call) => call.report()),
    sentDb,
    sendLateP99Ms: p99,
    sendLateMaxMs: sorted.length ? sorted[sorted.length - 1] : 0,
    selectedPair: calls[0]?.selectedPair() ?? null,
    loopDelayP99Ms: loopP99,
    loopDelayMaxMs: loopMax,
    warnings: { ...warnings },
  };
}

async function closeAll(): Promise<null> {
  await Promise.all(calls.splice(0).map((call) => call.close()));
  return null;
}

function configure(args: unknown): { packets: number; sentDb: number } {
  packets = [];
  encodeSpeech(args as LoadConfig);
  return { packets: packets.length, sentDb };
}

const rpc = new Rpc(process, { configure, calls: addCalls, mark, report, close: closeAll }, 'load process');
process.on('disconnect', () => {
  rpc.fail(new Error('the benchmark went away'));
  void closeAll().finally(() => process.exit(0));
});
process.send?.({ ready: true });
