/**
 * Audio RTP straight between a session's UDP socket and voxrtc, once DTLS
 * is connected and SRTP runs in native code. werift hands every packet
 * through five layers each way (socket, STUN check, ICE, DTLS/SRTP
 * demultiplexing, RTP router and receiver; sender, DTLS, ICE, socket), with
 * objects and promises per packet. A packet on
 * the direct path is read or written once: its header in place, SRTP in one
 * native call, then the remote track or the socket. The socket itself is
 * read and written in native code when the addon can ({@link SocketChannel}),
 * else through Node's dgram.
 *
 * werift keeps everything else and the state both paths share: ICE (the
 * socket, the nominated pair, consent), DTLS, RTCP, the SRTP rollover
 * counters (its own state objects are updated), the receiver statistics its
 * RTCP receiver reports are made from, the sender counters of its sender
 * reports, and the byte and packet counts of its stats. A packet the direct
 * path does not handle goes werift's way, exactly as before: STUN, DTLS,
 * RTCP, a stream not yet seen (werift routes its first packets; the session
 * then registers it), a source other than the nominated pair, RED or RTX,
 * streams with transport-wide congestion control feedback, RTP stream ids.
 * @packageDocumentation
 */
import * as dgram from 'node:dgram';
import createDebug from 'debug';
import type { NativeSrtpCipher } from '../core/native';
import type { NativeSrtpCiphers } from './native-srtp';
import type { ReceivedRtpPacket } from './rtp-packet';
import type { OutgoingRtpPacket } from './rtp-packetizer';
import { SocketChannel } from './socket-channel';
import { weriftNtpTime } from './werift-rtp';

const log = createDebug('voxrtc:rtc:direct');

/** What is used of werift's per-SSRC SRTP state (RFC 3711 §3.3.1). */
interface SsrcState {
  rolloverCounter: number;
  lastSequenceNumber: number;
  rolloverHasProcessed?: boolean;
}

/** What is used of werift's SrtpContext. */
export interface WeriftSrtpContext {
  profile: number;
  srtpSSRCStates: Record<number, SsrcState | undefined>;
  getSrtpSsrcState(ssrc: number): SsrcState;
  updateRolloverCount(sequenceNumber: number, state: SsrcState): void;
}

/** What is used of werift's candidate pair. */
interface WeriftPair {
  protocol: { transport: { socket?: unknown } };
  remoteAddr: readonly [string, number];
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
}

/** What is used of werift's RTCDtlsTransport. */
export interface WeriftDtlsTransport {
  state: string;
  srtp?: { localContext?: WeriftSrtpContext; remoteContext?: WeriftSrtpContext };
  transportSequenceNumber: number;
  bytesSent: number;
  packetsSent: number;
  bytesReceived: number;
  packetsReceived: number;
  iceTransport: { connection: { nominated?: WeriftPair; canSendApplicationData(): boolean } };
}

/** What is used of werift's receiver statistics for one stream (its receiver reports). */
interface WeriftStreamStatistics {
  add(packet: { header: { sequenceNumber: number; timestamp: number; serializeSize: number }; payload: { length: number } }): void;
}

/** What is used of werift's RTCRtpReceiver. */
export interface WeriftReceiver {
  codecs: Record<number, { name: string } | undefined>;
  remoteStreams: Record<number, WeriftStreamStatistics | undefined>;
  stopped?: boolean;
  /** True when transport-wide congestion control feedback was negotiated (werift then answers every packet). */
  readonly twccEnabled?: boolean;
}

/** What is used of werift's RTCRtpSender. */
export interface WeriftSender {
  ssrc: number;
  mid?: string;
  codec?: { payloadType: number };
  headerExtensions: ReadonlyArray<{ id: number; uri: string }>;
  redRedundantPayloadType?: number;
  rtpStreamId?: string;
  repairedRtpStreamId?: string;
  seqOffset: number;
  timestampOffset: number;
  sequenceNumber: number;
  timestamp: number;
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  octetCount: number;
  packetCount: number;
  headerBytesSent: number;
  rtcpRunning: boolean;
  runRtcp(): unknown;
}

const URI_MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
const URI_TWCC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
const URI_ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
const URI_RID = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
const URI_RRID = 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id';

/** AEAD_AES_128_GCM (RFC 7714): its SRTP authentication tag is 16 bytes, AES128_CM_HMAC_SHA1_80's 10. */
const GCM_PROFILE = 7;

/** An RTP stream the direct path delivers (a remote SSRC and where its packets go). */
interface DirectStream {
  receiver: WeriftReceiver;
  deliver: (packet: ReceivedRtpPacket) => void;
  /** Whether a payload type's codec is one this path decodes for werift (not RED, not RTX), by werift codec object. */
  codecs: Map<number, { codec: object; plain: boolean }>;
  /** werift's SRTP state and receiver statistics of the stream, once they exist (werift keeps the same objects). */
  srtpState: SsrcState | undefined;
  statistics: WeriftStreamStatistics | undefined;
}

/** What the direct path keeps per werift sender it sends for. */
interface SenderState {
  ssrc: number;
  /** werift's SRTP state of the sender's SSRC (the same object werift keeps). */
  srtpState: SsrcState;
  /** Records when the last packet was sent: werift's `ntpTimestamp` is derived from it when read (see {@link lazyNtpTimestamp}). */
  sentAt: (nowMs: number) => void;
  /** Gives the sender a plain `ntpTimestamp` again. */
  restore: () => void;
}

/** Counters of the direct path, for `session.stats()`. */
export interface DirectRtpStats {
  /** RTP packets received on the direct path. */
  packetsIn: number;
  /** RTP packets sent on the direct path. */
  packetsOut: number;
  /** Received packets dropped: SRTP authentication failed, or padding that does not fit. */
  dropped: number;
}

/**
 * The direct RTP path of one DTLS transport (one per session with BUNDLE).
 * Made by {@link DirectRtp.attach} once the transport is connected and its
 * SRTP runs in native code; {@link close} gives the socket back to werift.
 */
export class DirectRtp {
  /** Counters (see {@link DirectRtpStats}). */
  readonly stats: DirectRtpStats = { packetsIn: 0, packetsOut: 0, dropped: 0 };
  private readonly streams = new Map<number, DirectStream>();
  private readonly senders = new Map<WeriftSender, SenderState>();
  /** What werift's receiver statistics read of a packet, filled in for each (they keep nothing of it). */
  private readonly statisticsPacket = { header: { sequenceNumber: 0, timestamp: 0, serializeSize: 0 }, payload: { length: 0 } };
  private readonly tagBytes: number;
  private readonly header = Buffer.alloc(12 + 4 + 64);
  /** The rollover state a packet would leave, before it authenticates (werift's decryptRtp works on a copy too). */
  private readonly nextState: SsrcState = { rolloverCounter: 0, lastSequenceNumber: 0, rolloverHasProcessed: false };
  private socket: dgram.Socket | null;
  /** The socket read and written in native code, when the addon and the socket allow it (else Node's dgram, through {@link onMessage}). */
  private readonly channel: SocketChannel | null;
  /** Where a protected packet is written before the channel sends it (sent at once: reused). */
  private readonly outgoing = Buffer.alloc(4096);
  private readonly weriftListeners: Array<(...args: unknown[]) => void> = [];
  private readonly onMessage = (data: Buffer, info: dgram.RemoteInfo): void => {
    const pair = this.transport.iceTransport.connection.nominated;
    if (this.take(data, pair !== undefined && info.port === pair.remoteAddr[1] && info.address === pair.remoteAddr[0])) return;
    for (const listener of this.weriftListeners) listener.call(this.socket, data, info);
  };

  private constructor(
    private readonly transport: WeriftDtlsTransport,
    private readonly local: WeriftSrtpContext,
    private readonly remote: WeriftSrtpContext,
    private readonly protector: NativeSrtpCipher,
    private readonly unprotector: NativeSrtpCipher,
    socket: dgram.Socket,
  ) {
    this.tagBytes = remote.profile === GCM_PROFILE ? 16 : 10;
    this.socket = socket;
    this.channel = SocketChannel.open(socket, (data, fromPeer) => this.take(data, fromPeer));
    if (this.channel === null) {
      this.weriftListeners.push(...(socket.listeners('message') as Array<(...args: unknown[]) => void>));
      socket.removeAllListeners('message');
      socket.on('message', this.onMessage);
    }
    const pair = transport.iceTransport.connection.nominated;
    if (pair) this.channel?.setPeer(pair.remoteAddr);
  }

  /**
   * The direct path for a connected transport whose SRTP runs in native
   * code (`ciphers`: protect with the local keys, unprotect with the
   * remote ones), or null when its nominated ICE pair is not on a plain UDP
   * socket (TCP, TURN) or werift's state does not look as expected.
   */
  static attach(transport: WeriftDtlsTransport, ciphers: NativeSrtpCiphers): DirectRtp | null {
    const local = transport.srtp?.localContext;
    const remote = transport.srtp?.remoteContext;
    const socket = transport.iceTransport?.connection?.nominated?.protocol?.transport?.socket;
    if (transport.state !== 'connected' || !local || !remote || !(socket instanceof dgram.Socket)) return null;
    if (typeof local.getSrtpSsrcState !== 'function' || typeof remote.updateRolloverCount !== 'function' || typeof remote.srtpSSRCStates !== 'object') return null;
    const direct = new DirectRtp(transport, local, remote, ciphers.protect, ciphers.unprotect, socket);
    log('direct RTP path on (SRTP profile %d, socket read by %s)', remote.profile, direct.channel ? 'native code' : "Node's dgram");
    return direct;
  }

  /**
   * Delivers the packets of the remote stream `ssrc` straight to `deliver`
   * from now on (werift's receiver statistics are still kept). Called when
   * werift has routed a packet of that stream.
   */
  receive(ssrc: number, receiver: WeriftReceiver, deliver: (packet: ReceivedRtpPacket) => void): void {
    if (this.socket === null || this.streams.has(ssrc) || receiver.twccEnabled) return;
    this.streams.set(ssrc, { receiver, deliver, codecs: new Map(), srtpState: undefined, statistics: undefined });
    log('remote stream %d on the direct path', ssrc);
  }

  /**
   * Sends one packet of `sender`'s stream straight to the socket, as
   * werift's `sendRtp` would have (same header and extensions, same SRTP,
   * same counters). Returns false when it did not (the caller then goes
   * through werift): closed, not connected, no consent, a header extension
   * this does not write, RED.
   */
  send(sender: WeriftSender, packet: OutgoingRtpPacket): boolean {
    const socket = this.socket;
    const transport = this.transport;
    if (socket === null || transport.state !== 'connected' || !sender.codec || sender.redRedundantPayloadType) return false;
    const connection = transport.iceTransport.connection;
    const pair = connection.nominated;
    if (!pair || pair.protocol.transport.socket !== socket || !connection.canSendApplicationData()) return false;

    const sequenceNumber = (packet.sequenceNumber + sender.seqOffset) & 0xffff;
    const timestamp = (packet.timestamp + sender.timestampOffset) >>> 0;
    const ssrc = sender.ssrc;
    let state = this.senders.get(sender);
    if (state === undefined || state.ssrc !== ssrc) state = this.track(sender);
    const now = performance.now();
    const header = this.header;
    header[0] = 0x80;
    header[1] = (packet.marker ? 0x80 : 0) | (sender.codec.payloadType & 0x7f);
    header.writeUInt16BE(sequenceNumber, 2);
    header.writeUInt32BE(timestamp, 4);
    header.writeUInt32BE(ssrc, 8);
    const headerLength = this.writeExtensions(sender, now);
    if (headerLength < 0) return false;

    // werift's sender state, as its sendRtp leaves it (its RTCP sender reports read it)
    sender.sequenceNumber = sequenceNumber;
    sender.timestamp = timestamp;
    state.sentAt(now);
    sender.rtpTimestamp = timestamp;
    sender.octetCount += packet.payload.length;
    sender.headerBytesSent += headerLength;
    sender.packetCount = (sender.packetCount + 1) >>> 0;

    const srtp = state.srtpState;
    this.local.updateRolloverCount(sequenceNumber, srtp);
    const length = headerLength + packet.payload.length + this.tagBytes;
    const channel = this.channel;
    // Through the channel: written into one reused buffer, sent at once. Through Node: a slice of its buffer pool,
    // which the socket holds until sent (nothing else sees it).
    const viaChannel = channel !== null && length <= this.outgoing.length;
    const out = viaChannel ? this.outgoing : Buffer.allocUnsafe(length);
    this.protector.protectInto(header.subarray(0, headerLength), packet.payload, ssrc, sequenceNumber, srtp.rolloverCounter, out);
    if (viaChannel) channel.setPeer(pair.remoteAddr);
    if (!viaChannel || !channel.send(out, length)) {
      socket.send(viaChannel ? Buffer.from(out.subarray(0, length)) : out, pair.remoteAddr[1], pair.remoteAddr[0]);
    }
    transport.bytesSent += length;
    transport.packetsSent++;
    pair.packetsSent++;
    pair.bytesSent += length;
    this.stats.packetsOut++;
    if (!sender.rtcpRunning) void sender.runRtcp();
    return true;
  }

  /** Starts keeping per-sender state for `sender` (its first packet on this path, or a new SSRC). */
  private track(sender: WeriftSender): SenderState {
    this.senders.get(sender)?.restore();
    const state: SenderState = { ssrc: sender.ssrc, srtpState: this.local.getSrtpSsrcState(sender.ssrc), ...lazyNtpTimestamp(sender) };
    this.senders.set(sender, state);
    return state;
  }

  /** Gives the socket back to werift (Node reads it again, for werift's own listeners); later packets all go werift's way. */
  close(): void {
    const socket = this.socket;
    if (socket === null) return;
    this.socket = null;
    this.streams.clear();
    for (const state of this.senders.values()) state.restore();
    this.senders.clear();
    if (this.channel !== null) {
      this.channel.close();
    } else {
      socket.removeListener('message', this.onMessage);
      for (const listener of this.weriftListeners) socket.on('message', listener);
    }
    log('direct RTP path off (%d packets in, %d out, %d dropped)', this.stats.packetsIn, this.stats.packetsOut, this.stats.dropped);
  }

  /**
   * Writes the sender's header extensions after the fixed header, the way
   * werift's sender does (one-byte form, RFC 8285, in id order), and
   * returns the header's length, or -1 for an extension this does not write.
   */
  private writeExtensions(sender: WeriftSender, nowMs: number): number {
    const extensions = sender.headerExtensions;
    if (extensions.length === 0) return 12;
    const header = this.header;
    let offset = 16;
    let previousId = 0;
    for (const { id, uri } of extensions) {
      if (id <= previousId || id > 14) return -1; // (werift sorts by id; the one-byte form takes 1 to 14)
      previousId = id;
      if (uri === URI_MID) {
        const mid = sender.mid;
        if (!mid) continue;
        const length = Buffer.byteLength(mid);
        if (length < 1 || length > 16 || offset + 1 + length > header.length) return -1;
        header[offset] = (id << 4) | (length - 1);
        header.write(mid, offset + 1);
        offset += 1 + length;
      } else if (uri === URI_TWCC) {
        const next = (this.transport.transportSequenceNumber + 1) & 0xffff;
        this.transport.transportSequenceNumber = next;
        header[offset] = (id << 4) | 1;
        header.writeUInt16BE(next, offset + 1);
        offset += 3;
      } else if (uri === URI_ABS_SEND_TIME) {
        header[offset] = (id << 4) | 2;
        header.writeUIntBE(Number((weriftNtpTime(nowMs) >> 14n) & 0xffffffn), offset + 1, 3);
        offset += 4;
      } else if (uri === URI_RID || uri === URI_RRID) {
        if ((uri === URI_RID ? sender.rtpStreamId : sender.repairedRtpStreamId) !== undefined) return -1;
      }
      // (any other extension, audio level included: werift's sender writes nothing for it)
    }
    if (offset === 16) return 12; // (nothing to write: werift then sends no extension header either)
    const padded = (offset + 3) & ~3;
    header.fill(0, offset, padded);
    header[0] |= 0x10;
    header.writeUInt16BE(0xbede, 12);
    header.writeUInt16BE((padded - 16) / 4, 14);
    return padded;
  }

  /**
   * Handles one datagram (valid only during the call) if it is SRTP for a
   * registered stream from the nominated pair (`fromPeer`: its source is the
   * pair's remote address); false hands it to werift.
   */
  private take(data: Uint8Array, fromPeer: boolean): boolean {
    const length = data.length;
    if (length < 12 + this.tagBytes || (data[0] & 0xc0) !== 0x80) return false;
    const second = data[1];
    if (second >= 192 && second <= 223) return false; // RTCP (RFC 5761)
    const ssrc = readUint32(data, 8);
    const stream = this.streams.get(ssrc);
    if (stream === undefined) return false;
    const pair = this.transport.iceTransport.connection.nominated;
    if (!pair || pair.protocol.transport.socket !== this.socket) return false;
    if (this.channel !== null && !this.channel.isPeer(pair.remoteAddr)) {
      this.channel.setPeer(pair.remoteAddr); // (a new nominated pair: this datagram was checked against the old one)
      return false;
    }
    if (!fromPeer) return false;
    const payloadType = second & 0x7f;
    const receiver = stream.receiver;
    const codec = receiver.codecs[payloadType];
    if (receiver.stopped || codec === undefined) return false;
    let known = stream.codecs.get(payloadType);
    if (known?.codec !== codec) {
      const name = codec.name.toLowerCase(); // (a getter in werift: looked at once per codec)
      known = { codec, plain: name !== 'red' && name !== 'rtx' };
      stream.codecs.set(payloadType, known);
    }
    if (!known.plain) return false;
    let headerLength = 12 + 4 * (data[0] & 0x0f);
    if ((data[0] & 0x10) !== 0) {
      if (headerLength + 4 > length) return false;
      headerLength += 4 + 4 * ((data[headerLength + 2] << 8) | data[headerLength + 3]);
    }
    if (headerLength > length - this.tagBytes) return false;

    // The packet is ours from here: it is delivered or dropped, never handed on.
    pair.packetsReceived++;
    pair.bytesReceived += length;
    this.transport.packetsReceived++;
    this.transport.bytesReceived += length;
    const sequenceNumber = (data[2] << 8) | data[3];
    // werift's SrtpContext.decryptRtp: the rollover counter on a copy, kept only if the packet authenticates
    const existing = (stream.srtpState ??= this.remote.srtpSSRCStates[ssrc]);
    const next = this.nextState;
    next.rolloverCounter = existing?.rolloverCounter ?? 0;
    next.lastSequenceNumber = existing?.lastSequenceNumber ?? 0;
    next.rolloverHasProcessed = existing?.rolloverHasProcessed;
    this.remote.updateRolloverCount(sequenceNumber, next);
    // (the payload goes on to the jitter buffer and decoder only: a slice of Node's buffer pool serves)
    const plain = Buffer.allocUnsafe(length - this.tagBytes);
    const plainLength = this.unprotector.unprotectInto(data, headerLength, ssrc, sequenceNumber, next.rolloverCounter, plain);
    let end = plainLength;
    if (plainLength >= 0 && (data[0] & 0x20) !== 0) {
      const padding = end > headerLength ? plain[end - 1] : 0;
      end = padding === 0 || padding > end - headerLength ? -1 : end - padding;
    }
    if (end < 0) {
      this.stats.dropped++;
      log('dropping an SRTP packet that %s (ssrc %d, sequence %d)', plainLength < 0 ? 'does not authenticate' : 'has padding that does not fit', ssrc, sequenceNumber);
      return true;
    }
    const state = existing ?? (stream.srtpState = this.remote.srtpSSRCStates[ssrc] = { ssrc, rolloverCounter: 0, lastSequenceNumber: 0 } as SsrcState);
    state.rolloverCounter = next.rolloverCounter;
    state.lastSequenceNumber = next.lastSequenceNumber;
    state.rolloverHasProcessed = next.rolloverHasProcessed;

    const timestamp = readUint32(data, 4);
    const payload = plain.subarray(headerLength, end);
    const statistics = (stream.statistics ??= receiver.remoteStreams[ssrc]);
    if (statistics !== undefined) {
      const counted = this.statisticsPacket;
      counted.header.sequenceNumber = sequenceNumber;
      counted.header.timestamp = timestamp;
      counted.header.serializeSize = headerLength;
      counted.payload.length = payload.length;
      statistics.add(counted);
    }
    this.stats.packetsIn++;
    stream.deliver({ payloadType, sequenceNumber, timestamp, ssrc, marker: (second & 0x80) !== 0, payload, arrivalMs: performance.now() });
    return true;
  }
}

/** A big-endian 32-bit unsigned integer at `offset`. */
function readUint32(data: Uint8Array, offset: number): number {
  return ((data[offset] << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3]) >>> 0;
}

/**
 * Makes werift's `sender.ntpTimestamp` (read only by its RTCP sender reports,
 * every second or so) a value derived when read from the time of the last
 * packet the direct path sent, instead of a BigInt computed for every packet.
 * werift's own sendRtp still writes it as before (the setter keeps its value).
 */
function lazyNtpTimestamp(sender: WeriftSender): Pick<SenderState, 'sentAt' | 'restore'> {
  let value = sender.ntpTimestamp;
  let sentAtMs: number | undefined;
  const read = (): bigint => (sentAtMs === undefined ? value : weriftNtpTime(sentAtMs));
  Object.defineProperty(sender, 'ntpTimestamp', {
    configurable: true,
    enumerable: true,
    get: read,
    set: (ntp: bigint) => {
      value = ntp;
      sentAtMs = undefined;
    },
  });
  return {
    sentAt: (nowMs) => {
      sentAtMs = nowMs;
    },
    restore: () => {
      Object.defineProperty(sender, 'ntpTimestamp', { configurable: true, enumerable: true, writable: true, value: read() });
    },
  };
}
