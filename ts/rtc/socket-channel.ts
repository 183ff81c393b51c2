/**
 * A werift UDP socket read and written in native code, for the direct RTP
 * path. Node's dgram costs per datagram well beyond the system call: on
 * receive a 64 KiB allocation cut down to size, a Buffer, an address object
 * and an event; on send an address lookup deferred to the next tick and a
 * request object. Through the addon's `DatagramChannel`, a duplicate of the
 * socket's descriptor is polled on the same event loop and read in batches
 * into memory the channel keeps, and a datagram is sent with one system
 * call from a buffer the caller reuses.
 *
 * The socket stays werift's: it is bound, owned and closed by werift, which
 * also keeps sending its own datagrams (STUN, DTLS, RTCP) through it. Node
 * stops reading it while the channel is open; every datagram the direct
 * path does not take is handed to the socket's `'message'` listeners as
 * Node would have (a Buffer of its own, `{ address, family, port, size }`).
 * Closing the channel (or the socket closing) gives reading back to Node.
 * @packageDocumentation
 */
import type * as dgram from 'node:dgram';
import createDebug from 'debug';
import { native, type NativeDatagramChannel } from '../core/native';

const log = createDebug('voxrtc:rtc:channel');

const FROM_PEER = 1;
const TRUNCATED = 2;

/** What is used of Node's UDP handle (the socket's internal state). */
interface UdpHandle {
  fd: number;
  recvStart(): number;
  recvStop(): number;
}

/**
 * Takes one received datagram (`data` is valid only during the call) and
 * returns true, or returns false to hand it to the socket's `'message'`
 * listeners. `fromPeer`: its source is the peer set with {@link SocketChannel.setPeer}.
 */
export type DatagramTaker = (data: Uint8Array, fromPeer: boolean) => boolean;

let openChannels = 0;

/** Channels open in this thread (for tests: every one is closed with its session). */
export function openSocketChannels(): number {
  return openChannels;
}

/** The socket's libuv handle, through Node's internal state (no public API reaches it), or null. */
function udpHandle(socket: dgram.Socket): UdpHandle | null {
  const key = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'state symbol');
  const handle = key === undefined ? undefined : (socket as unknown as Record<symbol, { handle?: Partial<UdpHandle> | null }>)[key]?.handle;
  if (!handle || typeof handle.fd !== 'number' || handle.fd < 0 || typeof handle.recvStop !== 'function' || typeof handle.recvStart !== 'function') return null;
  return handle as UdpHandle;
}

/** One socket read and written in native code; see the module's description. */
export class SocketChannel {
  /** Datagrams taken by the direct path, handed to werift, and dropped (longer than a slot). */
  readonly counts = { taken: 0, handedOn: 0, truncated: 0 };
  private channel: NativeDatagramChannel | null;
  private peer: readonly [string, number] | null = null;
  private readonly onSocketClose = (): void => this.close();

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly handle: UdpHandle,
    private readonly take: DatagramTaker,
  ) {
    const Channel = native().DatagramChannel!;
    const slotBytes = Channel.slotBytes;
    this.channel = new Channel(handle.fd, (count, errno) => this.onReadable(count, errno, slotBytes));
    handle.recvStop(); // (Node stops reading; the channel reads from here on)
    socket.once('close', this.onSocketClose);
    openChannels++;
  }

  /**
   * A channel on `socket` (bound), or null when this cannot be done here: an
   * addon without DatagramChannel, or a socket whose descriptor Node does
   * not expose (then the caller keeps using Node's dgram).
   */
  static open(socket: dgram.Socket, take: DatagramTaker): SocketChannel | null {
    if (native().DatagramChannel === undefined) return null;
    const handle = udpHandle(socket);
    if (handle === null) return null;
    try {
      return new SocketChannel(socket, handle, take);
    } catch (error) {
      log('no native channel on this socket: %s', error instanceof Error ? error.message : String(error));
      return null;
    }
  }

  /** True until {@link close}. */
  get isOpen(): boolean {
    return this.channel !== null;
  }

  /** Where {@link send} sends, and whose datagrams count as `fromPeer`. */
  setPeer(address: readonly [string, number]): void {
    if (this.channel === null || this.isPeer(address)) return;
    this.channel.setPeer(address[0], address[1]);
    this.peer = [address[0], address[1]];
  }

  /** Whether `address` is the peer set last. */
  isPeer(address: readonly [string, number]): boolean {
    const peer = this.peer;
    return peer !== null && peer[1] === address[1] && peer[0] === address[0];
  }

  /**
   * Sends `data[0, length)` to the peer now; the buffer can be reused as soon
   * as this returns. False when the channel could not (closed, or the
   * socket's send buffer is full): the caller then sends through Node.
   */
  send(data: Uint8Array, length: number): boolean {
    const channel = this.channel;
    if (channel === null) return false;
    const sent = channel.send(data, length);
    if (sent >= 0) return true;
    log('native send failed (errno %d): through Node instead', -sent);
    return false;
  }

  /** Stops reading and gives the socket back to Node (which reads it again if it is still open). Idempotent. */
  close(): void {
    const channel = this.channel;
    if (channel === null) return;
    this.channel = null;
    channel.close();
    openChannels--;
    this.socket.removeListener('close', this.onSocketClose);
    if (udpHandle(this.socket) === this.handle) this.handle.recvStart(); // (a closed socket has no handle)
    log('closed: %d datagrams taken, %d handed on, %d truncated', this.counts.taken, this.counts.handedOn, this.counts.truncated);
  }

  private onReadable(count: number, errno: number, slotBytes: number): void {
    const channel = this.channel;
    if (channel === null) return;
    if (errno !== 0) log('receive error (errno %d)', errno);
    const { buffer, meta } = channel;
    for (let i = 0; i < count && this.channel !== null; i++) {
      const length = meta[i * 4];
      const flags = meta[i * 4 + 1];
      if ((flags & TRUNCATED) !== 0) {
        this.counts.truncated++;
        log('dropping a datagram longer than %d bytes', slotBytes);
        continue;
      }
      const data = buffer.subarray(i * slotBytes, i * slotBytes + length);
      if (this.take(data, (flags & FROM_PEER) !== 0)) {
        this.counts.taken++;
        continue;
      }
      this.counts.handedOn++;
      const info: dgram.RemoteInfo = { address: channel.sourceAddress(i), family: meta[i * 4 + 3] === 6 ? 'IPv6' : 'IPv4', port: meta[i * 4 + 2], size: length };
      this.socket.emit('message', Buffer.from(data), info);
    }
  }
}
