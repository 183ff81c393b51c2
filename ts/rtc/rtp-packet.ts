/**
 * The receive path's view of one RTP packet (RFC 3550), independent of the
 * network stack that parsed it.
 * @packageDocumentation
 */

/** One received RTP packet, as the network glue hands it to a `RemoteAudioTrack`. */
export interface ReceivedRtpPacket {
  /** Payload type, 0 to 127. */
  payloadType: number;
  /** 16-bit sequence number (0 to 65535; wraps). */
  sequenceNumber: number;
  /** 32-bit RTP timestamp in clock-rate units (0 to 2³² − 1; wraps). */
  timestamp: number;
  /** Synchronisation source, 32 bits. */
  ssrc: number;
  /** The RTP marker bit (for audio: first packet after a silence). */
  marker: boolean;
  /** The codec payload (not copied; must not be modified afterwards). */
  payload: Uint8Array;
  /** When the packet arrived, in `performance.now()` milliseconds (the clock the track's timers use). */
  arrivalMs: number;
}
