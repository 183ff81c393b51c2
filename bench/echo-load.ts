/**
 * The load generator of the echo benchmark, in its own process (pinned to
 * another core than the echo): the callers. Each call is a werift
 * `RTCPeerConnection` that offers one sendrecv Opus stream (48 kHz/2,
 * useinbandfec=1, the audio-level extension: what voxrtc and browsers offer)
 * and, once connected, sends speech as a browser would: 20 ms Opus packets
 * on an absolute 20 ms clock. What comes back is counted per RTP packet and
 * decoded by a voxrtc `RemoteAudioTrack` (16 kHz mono, the cheapest Opus
 * output) whose frames are read and measured.
 *
 * The speech is encoded once, when the process starts (libopus through
 * voxrtc's OpusEncoder, voip, 32 kbit/s, FEC at 10% loss, complexity 10 like
 * a desktop browser), and every call sends those packets from its own offset
 * in the loop: the callers cost only RTP, SRTP and UDP per packet, so one
 * core can generate far more calls than the echo side can carry, and the
 * echo is the only thing measured. (Callers that encoded per call would cost
 * about what the echo costs and run out of core first.)
 *
 * The per-packet path is the one voxrtc's PeerSession uses, so that it costs
 * little next to the echo: once a call is connected, its SRTP runs in native
 * code (`useNativeSrtp`) and its audio RTP goes straight between its UDP
 * socket and the call (`DirectRtp`): a packet is sent with one header
 * written in place and one native SRTP call, and a returned packet is
 * checked and handed to the RemoteAudioTrack the same way, once werift has
 * routed the stream's first packet. werift keeps ICE, DTLS, RTCP (its
 * sender and receiver reports count the direct packets too) and any packet
 * the direct path does not take (then `sendRtp` and `onReceiveRtp`, as
 * before).
 *
 * One clock sends for all calls: the 20 ms are split into phase slots, each
 * call belongs to one, and a single timer wakes at each slot's time and
 * sends the next packet of every call in it, on an absolute clock. A call
 * behind by more than 3 packets (a stalled process) skips to the present
 * instead of bursting. Each send's lateness against its slot time is
 * measured.
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
import { DirectRtp, type WeriftDtlsTransport, type WeriftReceiver, type WeriftSender } from '../ts/rtc/direct-rtp';
import { useNativeSrtp, type DtlsTransportWithSrtp } from '../ts/rtc/native-srtp';
import type { ReceivedRtpPacket } from '../ts/rtc/rtp-packet';
import type { OutgoingRtpPacket } from '../ts/rtc/rtp-packetizer';
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

/**
 * The outgoing packet handed to the direct path: one object for every send
 * (DirectRtp.send copies what it needs before it returns).
 */
const outgoing: OutgoingRtpPacket = { payloadType: 111, sequenceNumber: 0, timestamp: 0, marker: false, payload: new Uint8Array(0) };

class Call {
  readonly pc = new RTCPeerConnection(peerConfig());
  private readonly transceiver: RTCRtpTransceiver;
  private readonly sender: WeriftSender;
  private readonly track = new RemoteAudioTrack({ codec: OPUS, output: { sampleRate: 16000, channels: 1 } });
  /** The direct RTP path, once connected (null: everything through werift). */
  private direct: DirectRtp | null = null;
  /** When packet 0 is due (performance.now() ms); packet k is due k × 20 ms later. */
  t0 = 0;
  private k = 0;
  private sequence = Math.floor(Math.random() * 0x8000);
  private timestamp = Math.floor(Math.random() * 0x7fffffff);
  private readonly offset: number;
  private closed = false;
  counters = { packetsSent: 0, rtpReceived: 0, sumSq: 0, samples: 0 };
  private markCounters = { ...this.counters, framesDecoded: 0, packetsLost: 0, plcFrames: 0 };
  firstEcho: Promise<void>;
  private gotEcho: (() => void) | null = null;
  // Rings: when each packet was sent and which speech packet it was; when each frame came back and its level.
  private readonly sendTimes = new Float64Array(LOG);
  private readonly sendPackets = new Int32Array(LOG);
  private sends = 0;
  private readonly recvTimes = new Float64Array(LOG);
  private readonly recvDb = new Float32Array(LOG);
  private recvs = 0;

  /** Every returned RTP packet, from werift or from the direct path. */
  private readonly deliver = (packet: ReceivedRtpPacket): void => {
    this.counters.rtpReceived++;
    if (this.gotEcho !== null) {
      this.gotEcho();
      this.gotEcho = null;
    }
    this.track.pushPacket(packet);
  };

  constructor(index: number) {
    this.offset = (index * 97) % packets.length;
    this.firstEcho = new Promise((resolve) => (this.gotEcho = resolve));
    this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.sender = this.transceiver.sender as unknown as WeriftSender;
    const receiver = this.transceiver.receiver as unknown as WeriftReceiver;
    const bind = (remote: WeriftTrack): void => {
      remote.onReceiveRtp.subscribe((rtp: RtpPacket) => {
        this.deliver(receivedRtpPacket(rtp, performance.now()));
        // (the stream's next packets come straight from the socket, once there is a direct path)
        this.direct?.receive(rtp.header.ssrc, receiver, this.deliver);
      });
    };
    this.transceiver.onTrack.subscribe(bind);
    void this.read();
  }

  /** Reads every frame as soon as the track has it (recv() in a loop: one promise per frame, no async iterator around it). */
  private async read(): Promise<void> {
    try {
      for (;;) {
        const frame = await this.track.recv();
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
    this.useDirectPath();
  }

  /** Native SRTP on the connected transport, and the direct RTP path over it (as PeerSession does). */
  private useDirectPath(): void {
    const transport = this.transceiver.sender.dtlsTransport;
    if (this.closed || transport.state !== 'connected') return;
    const ciphers = useNativeSrtp(transport as unknown as DtlsTransportWithSrtp);
    this.direct = ciphers ? DirectRtp.attach(transport as unknown as WeriftDtlsTransport, ciphers) : null;
  }

  /** Sends every packet due by `now` (called by the send clock at the call's slot times). */
  sendDue(now: number): void {
    while (!this.closed && this.t0 + this.k * FRAME_MS <= now) this.tick(now);
  }

  private tick(now: number): void {
    const due = this.t0 + this.k * FRAME_MS;
    lateness.push(now - due);
    // Behind by more than 3 packets (a stalled process): skip, do not burst.
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
    const marker = this.k === 0;
    const packet = outgoing;
    packet.sequenceNumber = this.sequence;
    packet.timestamp = this.timestamp;
    packet.marker = marker;
    packet.payload = payload;
    if (this.direct === null || !this.direct.send(this.sender, packet)) {
      const header = new RtpHeader({ payloadType: 111, sequenceNumber: this.sequence, timestamp: this.timestamp, marker });
      this.transceiver.sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
    }
    this.counters.packetsSent++;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.timestamp = (this.timestamp + SAMPLES) >>> 0;
    this.k++;
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
    this.direct?.close();
    this.direct = null;
    this.track.stop();
    await this.pc.close();
  }
}

/**
 * The callers' one send clock. The 20 ms are cut into `slots` phases; slot
 * s's times are epoch + s × 20 ms / slots + m × 20 ms. One timer wakes at
 * each time that has calls and sends for every call of that slot (each on
 * its own absolute clock, with its own lateness and skipping: Call.sendDue).
 */
class SendClock {
  private readonly slotMs: number;
  private readonly slots: Call[][];
  private readonly epoch = performance.now();
  /** The next slot time to serve: epoch + next × slotMs. */
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private count = 0;

  constructor(readonly slotCount: number) {
    this.slotMs = FRAME_MS / slotCount;
    this.slots = Array.from({ length: slotCount }, () => []);
  }

  /** Starts `call` at its slot's next time that the clock has still to serve. */
  add(call: Call, slot: number): void {
    const base = this.epoch + slot * this.slotMs;
    // (the timer may already wait for a later slot: it skips slots without calls)
    const from = Math.max(performance.now(), this.epoch + this.next * this.slotMs);
    call.t0 = base + Math.max(0, Math.ceil((from - base) / FRAME_MS)) * FRAME_MS;
    this.slots[slot].push(call);
    this.count++;
    this.schedule();
  }

  remove(call: Call): void {
    for (const list of this.slots) {
      const at = list.indexOf(call);
      if (at < 0) continue;
      list.splice(at, 1);
      if (--this.count === 0) this.stop();
      return;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly run = (): void => {
    this.timer = undefined;
    const now = performance.now();
    // Behind by more than a frame: only the last frame's slot times are served, each slot once (every call
    // catches up or skips by itself, on its own clock).
    if (now - (this.epoch + this.next * this.slotMs) > FRAME_MS) this.next = Math.floor((now - FRAME_MS - this.epoch) / this.slotMs) + 1;
    while (this.epoch + this.next * this.slotMs <= now) {
      for (const call of this.slots[this.next % this.slotCount]) call.sendDue(performance.now());
      this.next++;
    }
    this.schedule();
  };

  /** Sets the timer for the next slot time that has calls. */
  private schedule(): void {
    if (this.timer !== undefined || this.count === 0) return;
    while (this.slots[this.next % this.slotCount].length === 0) this.next++;
    this.timer = setTimeout(this.run, Math.max(0, this.epoch + this.next * this.slotMs - performance.now()));
  }
}

const calls: Call[] = [];
let clock: SendClock | null = null;
let windowStart: { cpu: NodeJS.CpuUsage; wall: number } | null = null;

async function addCalls(args: unknown): Promise<{ calls: number; connectMs: number }> {
  const { count, parallel, phaseSlots } = args as { count: number; parallel: number; phaseSlots: number };
  if (clock?.slotCount !== phaseSlots) {
    if (calls.length > 0) throw new Error(`calls: ${phaseSlots} phase slots, but the running calls use ${clock?.slotCount}`);
    clock?.stop();
    clock = new SendClock(phaseSlots);
  }
  const sendClock = clock;
  const started = performance.now();
  const fresh: Call[] = [];
  const connectOne = async (): Promise<void> => {
    const call = new Call(calls.length + fresh.length);
    fresh.push(call);
    const sdp = await call.offer();
    const answer = await rpc.call<AnswerResult>('offer', { sdp });
    await call.accept(answer.sdp);
    // Spread the calls over the 20 ms: call i sends at its own phase.
    const index = calls.length + fresh.indexOf(call);
    sendClock.add(call, (index * 7) % phaseSlots);
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
  const closing = calls.splice(0);
  for (const call of closing) clock?.remove(call);
  clock?.stop();
  await Promise.all(closing.map((call) => call.close()));
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
