import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import createDebug from 'debug';
import {
  RTCPeerConnection,
  RtcpRrPacket,
  RtcpSrPacket,
  type RtpPacket,
  type MediaStreamTrack as WeriftTrack,
  type RTCRtpCodecParameters,
  type RTCRtpTransceiver,
} from 'werift';
import { AudioSender, type AudioSenderOptions } from './audio-sender';
import type { AudioCodec } from './codec';
import type { ReceivedRtpPacket } from './rtp-packet';
import type { OutgoingRtpPacket } from './rtp-packetizer';
import { Impairment, type ImpairmentOptions } from './impairment';
import { peerConfig, resolveNetwork, type NetworkOptions, type ResolvedNetwork } from './peer-config';
import { RemoteAudioTrack, type RemoteAudioTrackOptions } from './remote-audio-track';
import { checkRemoteSdp } from './sdp-check';
import { DEFAULT_RTCP_INTERVAL_MS, useRtcpInterval } from './rtcp-reports';
import { useNativeSrtp, type DtlsTransportWithSrtp } from './native-srtp';
import { DirectRtp, type DirectRtpStats, type WeriftDtlsTransport, type WeriftReceiver, type WeriftSender } from './direct-rtp';
import { newRtpHeader, newRtpPacket, receivedRtpPacket, speedUpWeriftRtp } from './werift-rtp';
import { SessionRegistry } from './session-registry';
import { SessionWatchdog, type WatchedState } from './watchdog';
import { MediaStreamTrack } from '../media/media-stream-track';
import { checkBoolean, checkInteger, checkOptions, invalidType } from '../core/validate';

const log = createDebug('voxrtc:session');

/** A session description, in the JSON shape browsers and aiortc use. */
export interface SessionDescription {
  type: 'offer' | 'answer';
  sdp: string;
}

/** Options for {@link PeerSession}. */
export interface PeerSessionOptions extends NetworkOptions {
  /** Format of the frames remote tracks deliver, e.g. `{ sampleRate: 16000 }` for speech-to-text. Default 48 kHz, mono, s16. */
  receive?: RemoteAudioTrackOptions['output'];
  /** Frames a remote track keeps for a slow reader before dropping the oldest. Default 50 (1 s). */
  maxQueueFrames?: number;
  /** Opus encoder settings for what this session sends. */
  opus?: AudioSenderOptions['opus'];
  /** Close the session if it is not connected within this many ms. Default 15000. */
  connectTimeoutMs?: number;
  /** Close the session when it stays disconnected (or silent) this many ms. Default 5000. */
  disconnectGraceMs?: number;
  /** A connected session with no incoming media this long counts as disconnected. 0 disables. Default 10000. */
  mediaTimeoutMs?: number;
  /** Registry the session joins while open. Default: {@link PeerSession.registry}. */
  registry?: SessionRegistry<PeerSession>;
  /** Simulate a bad network on incoming packets (loss, duplicates, reordering, jitter) — for testing. */
  impairIncoming?: ImpairmentOptions;
  /**
   * Simulate a bad network on outgoing RTP (loss, duplicates, reordering,
   * jitter), before werift encrypts and sends it: the peer sees the loss and
   * reports it back in RTCP — for testing.
   */
  impairOutgoing?: ImpairmentOptions;
  /**
   * Protect and check RTP packets (SRTP) in native code once DTLS is
   * connected, instead of werift's per-packet Node.js cipher objects: same
   * keys and packets, a fraction of the CPU. Default true; false keeps
   * werift's transform (for comparison).
   */
  nativeSrtp?: boolean;
  /**
   * Once SRTP runs in native code, audio RTP goes straight between the UDP
   * socket and voxrtc (see {@link DirectRtp}) instead of through werift's
   * layers; werift keeps ICE, DTLS, RTCP and the statistics. Default true;
   * false sends every packet through werift (for comparison).
   */
  directRtp?: boolean;
  /**
   * Mean interval of the RTCP sender and receiver reports this session
   * sends, in ms (each interval is drawn from 0.5 to 1.5 × this; 500 to
   * 60000). Default 5000: RFC 3550's minimum, and what libwebrtc uses for
   * audio. The peer's reports drive this session's Opus FEC (see
   * `opus.packetLossPercent`); these drive the peer's.
   */
  rtcpIntervalMs?: number;
}

/** Counters of a session, for logs, dashboards and tests. */
export interface SessionStats {
  id: string;
  connectionState: string;
  ageMs: number;
  remoteTracks: Array<ReturnType<RemoteAudioTrack['stats']> & { id: string; reads: number }>;
  senders: ReturnType<AudioSender['stats']>[];
  /**
   * Ids of remote tracks that received audio but were never read: their
   * frames pile up and are dropped. Read them, send them, or consume them
   * with a `MediaBlackHole`.
   */
  unreadRemoteTracks: string[];
  /** True once RTP packets are protected and checked in native code (see {@link PeerSessionOptions.nativeSrtp}). */
  nativeSrtp: boolean;
  /** RTP packets on the direct path (see {@link PeerSessionOptions.directRtp}); null when it is not in use. */
  directRtp: DirectRtpStats | null;
}

type Phase = 'idle' | 'negotiating' | 'answered' | 'closed';

/**
 * One WebRTC peer connection carrying audio, with the safe order built in.
 *
 * Answering an offer (the usual server role):
 * ```ts
 * const session = new PeerSession();
 * const answer = await session.answer(offer, async (s) => {
 *   const incoming = s.remoteTracks[0];        // a RemoteAudioTrack
 *   s.addTrack(replyTrack);                    // attached before the answer exists
 * });
 * ```
 * The handler runs after the offer is applied and before the answer is
 * created, so every track it attaches is in the answer (`sendrecv`);
 * `addTrack` after that throws instead of silently making a receive-only call.
 *
 * A watchdog closes a session that does not connect in time or stays
 * disconnected (or silent) too long; {@link close} releases the peer
 * connection, sockets, timers, native codecs and queues, and ends the tracks.
 *
 * Events: `'connectionstatechange'` (state), `'closed'` (reason).
 */
export class PeerSession extends EventEmitter {
  /** The sessions open in this process (unless given another registry). */
  static readonly registry = new SessionRegistry<PeerSession>();

  /** A unique id. */
  readonly id = randomUUID();
  /** When the session was created (ms, `Date.now()`). */
  readonly createdAt = Date.now();
  /** One track per incoming audio stream: in the answer handler when answering, after {@link acceptAnswer} when offering. */
  readonly remoteTracks: RemoteAudioTrack[] = [];
  private readonly pc: RTCPeerConnection;
  private readonly network: ResolvedNetwork;
  private readonly options: Required<Pick<PeerSessionOptions, 'maxQueueFrames' | 'rtcpIntervalMs'>> & PeerSessionOptions;
  private readonly registry: SessionRegistry<PeerSession>;
  private readonly watchdog: SessionWatchdog;
  private readonly senders: AudioSender[] = [];
  private readonly pendingTracks: MediaStreamTrack[] = [];
  private readonly sentTracks: MediaStreamTrack[] = [];
  private readonly unsubscribers: Array<() => void> = [];
  private readonly impairments: Array<{ stop(): void }> = [];
  private readonly nativeSrtpTransports = new WeakSet<object>();
  private nativeSrtp = false; // RTP protected in native code on a transport
  private readonly directPaths = new Map<object, DirectRtp>(); // by werift DTLS transport
  private phase: Phase = 'idle';
  private state: WatchedState = 'new';
  private closing: Promise<void> | undefined;
  private closeReason = '';
  /** Resolves when close() starts: every negotiation step races it (werift never settles a step on a closed connection). */
  private readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(options: PeerSessionOptions = {}) {
    super();
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    const where = 'PeerSession';
    const o = checkOptions(where, options, [
      'iceServers', 'loopback', 'ipv6', 'portRange', 'codecs', 'receive', 'maxQueueFrames', 'opus',
      'connectTimeoutMs', 'disconnectGraceMs', 'mediaTimeoutMs', 'registry', 'impairIncoming', 'impairOutgoing', 'nativeSrtp',
      'directRtp', 'rtcpIntervalMs',
    ]);
    if (o.nativeSrtp !== undefined) checkBoolean(where, 'options.nativeSrtp', o.nativeSrtp);
    if (o.directRtp !== undefined) checkBoolean(where, 'options.directRtp', o.directRtp);
    this.network = resolveNetwork(where, { iceServers: options.iceServers, loopback: options.loopback, ipv6: options.ipv6, portRange: options.portRange, codecs: options.codecs });
    this.options = {
      ...options,
      maxQueueFrames: checkInteger(where, 'options.maxQueueFrames', o.maxQueueFrames ?? 50, 1, 3000),
      rtcpIntervalMs: checkInteger(where, 'options.rtcpIntervalMs', o.rtcpIntervalMs ?? DEFAULT_RTCP_INTERVAL_MS, 500, 60_000),
    };
    const connectTimeoutMs = checkInteger(where, 'options.connectTimeoutMs', o.connectTimeoutMs ?? 15000, 100, 3_600_000);
    const disconnectGraceMs = checkInteger(where, 'options.disconnectGraceMs', o.disconnectGraceMs ?? 5000, 0, 3_600_000);
    const mediaTimeoutMs = checkInteger(where, 'options.mediaTimeoutMs', o.mediaTimeoutMs ?? 10000, 0, 3_600_000);
    this.registry = (o.registry as SessionRegistry<PeerSession> | undefined) ?? PeerSession.registry;
    if (!(this.registry instanceof SessionRegistry)) throw invalidType(where, 'options.registry', 'a SessionRegistry', o.registry);

    speedUpWeriftRtp(); // (once per process: cheaper RTP header objects in werift, checked against werift's own first)
    this.pc = new RTCPeerConnection(peerConfig(this.network));
    this.watchdog = new SessionWatchdog({ connectTimeoutMs, disconnectGraceMs, mediaTimeoutMs }, (reason) => {
      log('%s: watchdog: %s', this.id, reason);
      void this.close(`watchdog: ${reason}`);
    });
    const sub = this.pc.connectionStateChange.subscribe((state) => this.onState(state));
    this.unsubscribers.push(() => sub.unSubscribe());
    this.registry.add(this);
    log('%s: created', this.id);
  }

  /** `'new'`, `'connecting'`, `'connected'`, `'disconnected'`, `'failed'` or `'closed'`. */
  get connectionState(): string {
    return this.state;
  }

  /**
   * Applies a remote offer, runs `handler` (read {@link remoteTracks}, call
   * {@link addTrack}), then creates and returns the answer, with its ICE
   * candidates gathered (no trickle needed).
   * @throws Error naming what is wrong with the offer (no audio, no common codec, malformed SDP); the session is then closed.
   */
  async answer(offer: SessionDescription, handler?: (session: PeerSession) => void | Promise<void>): Promise<SessionDescription> {
    const where = 'PeerSession.answer';
    this.expectPhase(where, 'idle');
    checkDescription(where, 'offer', offer, 'offer');
    this.phase = 'negotiating';
    try {
      await this.applyRemote(where, 'offer', offer.sdp);
      const audio = this.pc.getTransceivers().filter((t) => t.kind === 'audio');
      if (audio.length === 0) throw new Error(`${where}: the offer has no audio; voxrtc sessions carry audio`);
      for (const transceiver of audio) this.bindReceiver(where, transceiver);
      if (handler) await handler(this);
      if (this.phase !== 'negotiating') throw new Error(`${where}: the session was closed during the offer handler (${this.closeReason})`);
      this.attachPending(audio);
      const answer = await this.negotiate(where, this.pc.createAnswer());
      this.withoutImplicitStun();
      await this.negotiate(where, this.pc.setLocalDescription(answer));
      await this.negotiate(where, this.gathered());
      this.phase = 'answered';
      this.startSenders();
      const sdp = this.pc.localDescription?.sdp ?? answer.sdp;
      log('%s: answered (%d remote track(s), %d sender(s))', this.id, this.remoteTracks.length, this.senders.length);
      return { type: 'answer', sdp };
    } catch (error) {
      await this.close(`negotiation failed: ${(error as Error).message}`);
      throw error;
    }
  }

  /**
   * Creates an offer with one audio transceiver per track added so far (at
   * least one, receive-only if none), ICE candidates gathered.
   */
  async offer(): Promise<SessionDescription> {
    const where = 'PeerSession.offer';
    this.expectPhase(where, 'idle');
    this.phase = 'negotiating';
    try {
      const count = Math.max(1, this.pendingTracks.length);
      const transceivers: RTCRtpTransceiver[] = [];
      for (let i = 0; i < count; i++) {
        transceivers.push(this.pc.addTransceiver('audio', { direction: i < this.pendingTracks.length ? 'sendrecv' : 'recvonly' }));
      }
      const offer = await this.negotiate(where, this.pc.createOffer());
      this.withoutImplicitStun();
      await this.negotiate(where, this.pc.setLocalDescription(offer));
      await this.negotiate(where, this.gathered());
      return { type: 'offer', sdp: this.pc.localDescription?.sdp ?? offer.sdp };
    } catch (error) {
      await this.close(`offer failed: ${(error as Error).message}`);
      throw error;
    }
  }

  /** Applies the answer to {@link offer}; the tracks added before the offer start sending once connected. */
  async acceptAnswer(answer: SessionDescription): Promise<void> {
    const where = 'PeerSession.acceptAnswer';
    this.expectPhase(where, 'negotiating');
    checkDescription(where, 'answer', answer, 'answer');
    try {
      await this.applyRemote(where, 'answer', answer.sdp);
      const audio = this.pc.getTransceivers().filter((t) => t.kind === 'audio');
      // The codecs are known now: one remote track per audio stream.
      for (const transceiver of audio) this.bindReceiver(where, transceiver);
      this.attachPending(audio);
      this.phase = 'answered';
      this.startSenders();
    } catch (error) {
      await this.close(`answer rejected: ${(error as Error).message}`);
      throw error;
    }
  }

  /**
   * Sends `track` on this session. Call it before the answer exists: inside
   * the {@link answer} handler, or before {@link offer}.
   * @throws Error after the answer: attaching a track then would need a renegotiation.
   */
  addTrack(track: MediaStreamTrack): void {
    const where = 'PeerSession.addTrack';
    if (!(track instanceof MediaStreamTrack)) throw invalidType(where, 'track', 'a voxrtc MediaStreamTrack', track);
    if (this.phase === 'answered') {
      throw new Error(
        `${where}: the answer was already created, so ${track.describe()} would never be sent. ` +
          'Attach outgoing tracks inside the answer() handler (or before offer()).',
      );
    }
    if (this.phase === 'closed') throw new Error(`${where}: the session is closed`);
    this.pendingTracks.push(track);
  }

  /**
   * Sends `next` instead of `previous` (a track given to {@link addTrack}),
   * without renegotiation; `null` sends silence (and `previous` keeps naming
   * that stream, for a later call). `previous` is not stopped.
   * @throws Error when `previous` is not being sent by this session.
   */
  replaceTrack(previous: MediaStreamTrack, next: MediaStreamTrack | null): void {
    const where = 'PeerSession.replaceTrack';
    if (next !== null && !(next instanceof MediaStreamTrack)) throw invalidType(where, 'next', 'a voxrtc MediaStreamTrack or null', next);
    const pending = this.pendingTracks.indexOf(previous);
    if (pending >= 0) {
      if (next === null) this.pendingTracks.splice(pending, 1);
      else this.pendingTracks[pending] = next;
      return;
    }
    const index = this.sentTracks.indexOf(previous);
    if (index < 0) throw new Error(`${where}: ${previous instanceof MediaStreamTrack ? previous.describe() : 'previous'} is not sent by this session`);
    this.senders[index].replaceTrack(next);
    this.sentTracks[index] = next ?? previous;
  }

  /** Counters of the session and each of its tracks. */
  stats(): SessionStats {
    const remoteTracks = this.remoteTracks.map((t) => ({ id: t.id, reads: t.reads, ...t.stats() }));
    return {
      id: this.id,
      connectionState: this.state,
      ageMs: Date.now() - this.createdAt,
      remoteTracks,
      senders: this.senders.map((s) => s.stats()),
      unreadRemoteTracks: remoteTracks.filter((t) => t.reads === 0 && t.framesQueued > 0).map((t) => t.id),
      nativeSrtp: this.nativeSrtp,
      directRtp: directStats([...this.directPaths.values()]),
    };
  }

  /**
   * Closes everything: senders, remote tracks (they end), the peer
   * connection and its sockets, every timer. Idempotent; resolves when done.
   */
  close(reason = 'closed by the application'): Promise<void> {
    this.closing ??= this.doClose(reason);
    return this.closing;
  }

  private async doClose(reason: string): Promise<void> {
    log('%s: closing (%s)', this.id, reason);
    this.phase = 'closed';
    this.closeReason = reason;
    this.markClosed();
    this.watchdog.stop();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    for (const direct of this.directPaths.values()) direct.close();
    for (const impairment of this.impairments) impairment.stop();
    for (const sender of this.senders) sender.stop();
    for (const track of this.remoteTracks) track.stop();
    // werift retransmits an unanswered DTLS handshake flight for up to 33 s,
    // closed or not (its loop only asks whether the next flight came): mark
    // each handshake as past its last flight, so each loop ends at its next wake-up.
    for (const transport of this.pc.dtlsTransports) if (transport.dtls) transport.dtls.dtls.flight = Number.MAX_SAFE_INTEGER;
    try {
      await this.pc.close();
    } catch (error) {
      log('%s: close: %s', this.id, (error as Error).message);
    }
    this.state = 'closed';
    this.registry.delete(this);
    this.emit('connectionstatechange', 'closed');
    this.emit('closed', reason);
  }

  private onState(state: WatchedState): void {
    if (this.phase === 'closed') return;
    this.state = state;
    log('%s: %s', this.id, state);
    this.watchdog.onState(state);
    if (state === 'connected' && this.options.nativeSrtp !== false) this.useNativeSrtp();
    this.emit('connectionstatechange', state);
    if (state === 'closed') void this.close('the peer connection closed');
  }

  /** Native SRTP for every connected transport not yet switched (see {@link useNativeSrtp}). */
  private useNativeSrtp(): void {
    for (const transport of this.pc.dtlsTransports) {
      if (transport.state !== 'connected' || this.nativeSrtpTransports.has(transport)) continue;
      this.nativeSrtpTransports.add(transport);
      const ciphers = useNativeSrtp(transport as unknown as DtlsTransportWithSrtp);
      if (ciphers) this.nativeSrtp = true;
      log('%s: SRTP for RTP %s', this.id, ciphers ? 'in native code' : "by werift's transform");
      const direct = ciphers && this.options.directRtp !== false ? DirectRtp.attach(transport as unknown as WeriftDtlsTransport, ciphers) : null;
      if (direct) this.directPaths.set(transport, direct);
    }
  }

  private bindReceiver(where: string, transceiver: RTCRtpTransceiver): void {
    const codec = toAudioCodec(transceiver.codecs[0]);
    if (!codec) throw new Error(`${where}: no common audio codec; voxrtc accepts ${this.network.codecs.join(', ')}`);
    const track = new RemoteAudioTrack({
      codec,
      output: { sampleRate: 48000, channels: 1, format: 's16', ...this.options.receive },
      maxQueueFrames: this.options.maxQueueFrames,
    });
    this.remoteTracks.push(track);
    useRtcpInterval('receiver', transceiver.receiver, this.options.rtcpIntervalMs);
    let impairment: Impairment<ReceivedRtpPacket> | undefined;
    if (this.options.impairIncoming) {
      // (a delayed packet arrives when the impairment lets it through)
      impairment = new Impairment<ReceivedRtpPacket>(this.options.impairIncoming, (packet) => track.pushPacket({ ...packet, arrivalMs: performance.now() }));
      this.impairments.push(impairment);
    }
    const deliver = (packet: ReceivedRtpPacket): void => {
      this.watchdog.onMedia();
      if (impairment) impairment.push(packet);
      else track.pushPacket(packet);
    };
    const bind = (remote: WeriftTrack): void => {
      const sub = remote.onReceiveRtp.subscribe((rtp: RtpPacket) => {
        deliver(receivedRtpPacket(rtp, performance.now()));
        // (the stream's next packets come straight from the socket, once there is a direct path)
        this.directPaths.get(transceiver.receiver.dtlsTransport)?.receive(rtp.header.ssrc, transceiver.receiver as unknown as WeriftReceiver, deliver);
      });
      this.unsubscribers.push(() => sub.unSubscribe());
    };
    const sub = transceiver.onTrack.subscribe((remote) => bind(remote));
    this.unsubscribers.push(() => sub.unSubscribe());
    if (transceiver.receiver.track) bind(transceiver.receiver.track);
  }

  private attachPending(transceivers: RTCRtpTransceiver[]): void {
    const tracks = this.pendingTracks.splice(0);
    if (tracks.length > transceivers.length) {
      throw new Error(`PeerSession: ${tracks.length} outgoing tracks but the offer has ${transceivers.length} audio stream(s); attach at most one track per stream`);
    }
    tracks.forEach((track, i) => {
      const transceiver = transceivers[i];
      // A remote track sent back out (echo, relay) is live audio: the sender
      // drops a packet when one has stayed waiting for 200 ms, and the
      // track keeps at most 3 frames queued, so a burst or a stall never
      // leaves the call behind for good (dropped audio is counted).
      const live = track instanceof RemoteAudioTrack;
      if (live) track.setLiveLatency(3);
      if (transceiver.direction === 'recvonly' || transceiver.direction === 'inactive') transceiver.setDirection('sendrecv');
      const toWerift = (packet: OutgoingRtpPacket): Promise<void> => {
        const header = newRtpHeader({ payloadType: packet.payloadType, sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, marker: packet.marker });
        return transceiver.sender.sendRtp(newRtpPacket(header, Buffer.from(packet.payload.buffer, packet.payload.byteOffset, packet.payload.byteLength)));
      };
      const weriftSender = transceiver.sender as unknown as WeriftSender;
      useRtcpInterval('sender', transceiver.sender, this.options.rtcpIntervalMs);
      const toNetwork = (packet: OutgoingRtpPacket): Promise<void> | undefined =>
        this.directPaths.get(transceiver.sender.dtlsTransport)?.send(weriftSender, packet) ? undefined : toWerift(packet);
      let impairment: Impairment<OutgoingRtpPacket> | undefined;
      if (this.options.impairOutgoing) {
        impairment = new Impairment<OutgoingRtpPacket>(this.options.impairOutgoing, (packet) => void toNetwork(packet)?.catch(() => undefined));
        this.impairments.push(impairment);
      }
      const sender = new AudioSender({
        codec: toAudioCodec(transceiver.codecs[0]) ?? (() => { throw new Error('PeerSession: no codec to send with'); })(),
        track,
        live,
        opus: this.options.opus,
        sink: {
          // The promise goes back to the sender, which reports a failed send instead of leaving it unhandled.
          send: impairment ? (packet) => impairment.push(packet) : toNetwork,
        },
      });
      // The peer's RTCP reports on our stream drive FEC (packetLossPercent 'auto').
      const rtcp = transceiver.sender.onRtcp.subscribe((packet) => {
        if (packet.type !== RtcpRrPacket.type && packet.type !== RtcpSrPacket.type) return;
        for (const report of (packet as RtcpRrPacket | RtcpSrPacket).reports) {
          if (report.ssrc === transceiver.sender.ssrc) sender.reportLoss(report.fractionLost / 256);
        }
      });
      this.unsubscribers.push(() => rtcp.unSubscribe());
      this.senders.push(sender);
      this.sentTracks.push(track);
    });
  }

  private startSenders(): void {
    for (const sender of this.senders) sender.start();
    // A peer that hangs up sends a DTLS close_notify: werift closes the DTLS
    // transport but not the connection state, so close the session here
    // instead of waiting for the watchdog.
    for (const transport of this.pc.dtlsTransports) {
      const sub = transport.onStateChange.subscribe((state) => {
        if (state === 'closed' && this.phase !== 'closed') void this.close('the peer closed the connection');
      });
      this.unsubscribers.push(() => sub.unSubscribe());
    }
  }

  /**
   * Checks a remote description (clear errors for malformed or hostile SDP,
   * see {@link checkRemoteSdp}) and applies it; an error werift still throws
   * is wrapped in one that says which description it could not apply.
   */
  private async applyRemote(where: string, type: 'offer' | 'answer', sdp: string): Promise<void> {
    checkRemoteSdp(where, type, sdp, type, this.network.codecs);
    try {
      await this.negotiate(where, this.pc.setRemoteDescription({ type, sdp }));
    } catch (error) {
      if (this.phase === 'closed') throw error;
      const message = error instanceof Error ? error.message || error.name : String(error);
      throw new Error(`${where}: the ${type} could not be applied (werift: ${message})`, { cause: error });
    }
  }

  /**
   * One step of a negotiation, unless the session closes first: then the
   * step is abandoned and this rejects at once, saying so. (werift parks a
   * step on a closed connection on a promise that never settles, so without
   * this, close() during answer() or acceptAnswer() would leave the caller
   * waiting forever.)
   */
  private async negotiate<T>(where: string, step: Promise<T>): Promise<T> {
    const outcome = await Promise.race([
      step.then((value) => ({ value }), (error: unknown) => ({ error })),
      this.closed.then(() => undefined),
    ]);
    if (outcome === undefined || this.phase === 'closed') throw new Error(`${where}: the session was closed during negotiation (${this.closeReason})`);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /**
   * werift's ICE agent queries stun.l.google.com:19302 when no STUN server is
   * configured: every session would look that name up and contact Google,
   * and gathering (so offer() and answer()) would wait up to 5 s for it on a
   * machine without internet access. voxrtc contacts no server unless one is
   * configured, so the fallback is removed before gathering starts.
   */
  private withoutImplicitStun(): void {
    if (this.network.iceServers.some((server) => [server.urls].flat().some((url) => /^stuns?:/i.test(url)))) return;
    for (const transport of this.pc.iceTransports) transport.connection.stunServer = undefined;
  }

  private async gathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 5000);
      const sub = this.pc.iceGatheringStateChange.subscribe((state) => state === 'complete' && done());
      function done(): void {
        clearTimeout(timer);
        sub.unSubscribe();
        resolve();
      }
    });
  }

  private expectPhase(where: string, phase: Phase): void {
    if (this.phase === phase) return;
    if (this.phase === 'closed') throw new Error(`${where}: the session is closed`);
    throw new Error(`${where}: not allowed now (the session is ${this.phase === 'answered' ? 'already negotiated' : 'negotiating'}); use a new PeerSession`);
  }
}

function checkDescription(where: string, name: string, value: unknown, type: 'offer' | 'answer'): void {
  if (value === null || typeof value !== 'object') throw invalidType(where, name, `an object { type: '${type}', sdp }`, value);
  const d = value as Record<string, unknown>;
  if (d.type !== type) throw invalidType(where, `${name}.type`, `'${type}'`, d.type);
  if (typeof d.sdp !== 'string' || !d.sdp.startsWith('v=0')) {
    throw invalidType(where, `${name}.sdp`, "an SDP string starting with 'v=0'", typeof d.sdp === 'string' ? `${d.sdp.slice(0, 20)}…` : d.sdp);
  }
}

function toAudioCodec(parameters: RTCRtpCodecParameters | undefined): AudioCodec | undefined {
  if (!parameters) return undefined;
  const mime = parameters.mimeType.toLowerCase();
  const name = mime === 'audio/opus' ? 'opus' : mime === 'audio/pcmu' ? 'PCMU' : mime === 'audio/pcma' ? 'PCMA' : undefined;
  if (!name) return undefined;
  const fmtp: Record<string, string> = {};
  for (const part of (parameters.parameters ?? '').split(';')) {
    const [key, value] = part.split('=');
    if (key?.trim()) fmtp[key.trim()] = (value ?? '').trim();
  }
  return { name, payloadType: parameters.payloadType, clockRate: parameters.clockRate, channels: parameters.channels ?? 1, parameters: fmtp };
}

/** The direct paths' counters added up (null when there is none). */
function directStats(paths: readonly DirectRtp[]): DirectRtpStats | null {
  if (paths.length === 0) return null;
  const total: DirectRtpStats = { packetsIn: 0, packetsOut: 0, dropped: 0 };
  for (const { stats } of paths) {
    total.packetsIn += stats.packetsIn;
    total.packetsOut += stats.packetsOut;
    total.dropped += stats.dropped;
  }
  return total;
}
