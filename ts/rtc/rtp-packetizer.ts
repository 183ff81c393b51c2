/**
 * The send path's RTP numbering (RFC 3550 §5.1): sequence numbers, timestamps
 * and the marker bit of one outgoing audio stream. No network, no codec: the
 * transport (werift, through the lead's glue) adds SSRC, header extensions,
 * SRTP and the bytes on the wire.
 * @packageDocumentation
 */
import { randomInt } from 'node:crypto';
import { checkInteger, checkOptions } from '../core/validate';

/**
 * One RTP packet as the sender hands it to the transport: the header fields
 * the sender decides, and the payload. SSRC, CSRCs, header extensions (audio
 * level), padding and encryption are the transport's.
 */
export interface OutgoingRtpPacket {
  /** RTP payload type, 0 to 127 (the negotiated codec's). */
  payloadType: number;
  /** 16-bit sequence number: +1 per packet, wraps from 65535 to 0. */
  sequenceNumber: number;
  /** 32-bit RTP timestamp in clock-rate units: + samples per packet at every packet time (also when nothing is sent), wraps at 2³². */
  timestamp: number;
  /** The RTP marker bit; for audio: the first packet of a talkspurt (the stream's first packet, and the first after a DTX silence). */
  marker: boolean;
  /** The encoded audio (a fresh array per packet; the sender never touches it again, so the transport may keep it, e.g. for retransmission). */
  payload: Uint8Array;
}

/** Options for {@link RtpPacketizer}. */
export interface RtpPacketizerOptions {
  /** RTP payload type, 0 to 127. */
  payloadType: number;
  /**
   * First sequence number. Default: random in 0 to 32767 (RFC 3550 asks for a
   * random start; keeping it below 2¹⁵, as libwebrtc does, means the first
   * wrap comes after at least 32768 packets, so an SRTP receiver that joins
   * late never guesses the rollover counter wrong). Give one only in tests
   * (to check the wrap) or to continue an earlier stream.
   */
  initialSequenceNumber?: number;
  /** First RTP timestamp. Default: random in 0 to 2³² − 1 (RFC 3550). Give one only in tests or to continue a stream. */
  initialTimestamp?: number;
}

const SEQ_MASK = 0xffff;

/**
 * Numbers the packets of one outgoing audio stream. Every packet time moves
 * the timestamp on by the packet's samples — through {@link packetize} when a
 * packet is sent, through {@link skip} when none is (DTX, a clock slip) — so
 * the timestamps follow the sender's clock and never jump backwards.
 *
 * ```ts
 * const rtp = new RtpPacketizer({ payloadType: 111 });
 * sink.send(rtp.packetize(opusPacket, 960)); // 20 ms at 48 kHz
 * rtp.skip(960);                             // a 20 ms packet not sent (DTX): the next one is marked
 * ```
 */
export class RtpPacketizer {
  /** The payload type every packet carries. */
  readonly payloadType: number;
  private sequence: number;
  private time: number;
  private talkspurt = true; // the next packet starts a talkspurt

  /** @throws TypeError or RangeError naming the option that is wrong. */
  constructor(options: RtpPacketizerOptions) {
    const where = 'RtpPacketizer';
    const o = checkOptions(where, options, ['payloadType', 'initialSequenceNumber', 'initialTimestamp']);
    this.payloadType = checkInteger(where, 'options.payloadType', o.payloadType, 0, 127);
    this.sequence =
      o.initialSequenceNumber === undefined ? randomInt(0, 0x8000) : checkInteger(where, 'options.initialSequenceNumber', o.initialSequenceNumber, 0, SEQ_MASK);
    this.time =
      o.initialTimestamp === undefined ? randomInt(0, 2 ** 32) : checkInteger(where, 'options.initialTimestamp', o.initialTimestamp, 0, 2 ** 32 - 1);
  }

  /** The sequence number the next packet gets. */
  get nextSequenceNumber(): number {
    return this.sequence;
  }

  /** The timestamp the next packet gets. */
  get nextTimestamp(): number {
    return this.time;
  }

  /**
   * Numbers one packet: it gets the current sequence number and timestamp
   * (and the marker bit when it starts a talkspurt); then the sequence number
   * moves on by 1 and the timestamp by `samples`.
   * @param samples - Samples (per channel, at the codec's clock rate) the packet holds.
   */
  packetize(payload: Uint8Array, samples: number): OutgoingRtpPacket {
    const packet: OutgoingRtpPacket = {
      payloadType: this.payloadType,
      sequenceNumber: this.sequence,
      timestamp: this.time,
      marker: this.talkspurt,
      payload,
    };
    this.sequence = (this.sequence + 1) & SEQ_MASK;
    this.time = (this.time + samples) % 2 ** 32;
    this.talkspurt = false;
    return packet;
  }

  /**
   * A packet time passes with nothing sent (DTX silence, or ticks lost to a
   * stalled event loop): the timestamp moves on by `samples`, the sequence
   * number does not (RFC 3550: it counts packets sent), and the next packet
   * is marked as the start of a talkspurt.
   */
  skip(samples: number): void {
    if (samples <= 0) return;
    this.time = (this.time + samples) % 2 ** 32;
    this.talkspurt = true;
  }
}
