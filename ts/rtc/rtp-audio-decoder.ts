/**
 * One codec's decoding for the receive path, behind one small interface:
 * a packet's payload → PCM, and audio for a packet that never came (Opus:
 * from the next packet's FEC, else PLC; G.711: silence).
 * @packageDocumentation
 */
import { OpusDecoder } from '../core/opus-decoder';
import { OPUS_SAMPLE_RATES, type OpusSampleRate } from '../core/opus-encoder';
import { alawDecode, ulawDecode } from '../core/g711';
import type { AudioCodec } from './codec';
import { opusHasFec, opusPacketSamples } from './opus-toc';

/** How a lost stretch was filled. */
export type FillKind = 'fec' | 'plc' | 'silence';

/** @internal Decodes one stream of one codec; PCM is interleaved s16 at {@link sampleRate} × {@link channels}. */
export interface RtpAudioDecoder {
  readonly sampleRate: number;
  readonly channels: number;
  /** The packet's duration in RTP clock units, or undefined when it cannot be told. */
  packetSamples(payload: Uint8Array): number | undefined;
  /** Decodes one payload. Throws on a corrupt packet (the decoder stays usable). */
  decode(payload: Uint8Array): Int16Array;
  /**
   * Audio standing in for `samples` (per channel, at {@link sampleRate}) that
   * were lost. `next` is the payload of the packet right after them, when
   * here; `allowPlc` false asks for silence (a long loss).
   */
  fill(samples: number, next: Uint8Array | undefined, allowPlc: boolean): { pcm: Int16Array; kind: FillKind };
  /** A new stream starts (another SSRC). */
  reset(): void;
  /** Frees native state; safe to call twice. */
  close(): void;
}

/**
 * @internal The decoder for `codec`, producing `channels` (clamped to what the
 * codec has) at `preferredRate` when the codec can decode at it directly
 * (Opus: 8, 12, 16, 24 or 48 kHz), else at the codec's own rate.
 */
export function createRtpAudioDecoder(codec: AudioCodec, preferredRate: number, channels: number): RtpAudioDecoder {
  if (codec.name === 'opus') {
    const rate = (OPUS_SAMPLE_RATES as readonly number[]).includes(preferredRate) ? (preferredRate as OpusSampleRate) : 48000;
    return new OpusRtpDecoder(rate, Math.min(2, codec.channels, channels) as 1 | 2);
  }
  return new G711RtpDecoder(codec.name === 'PCMU' ? ulawDecode : alawDecode);
}

class OpusRtpDecoder implements RtpAudioDecoder {
  private readonly decoder: OpusDecoder;
  private readonly unit: number; // 2.5 ms

  constructor(
    readonly sampleRate: OpusSampleRate,
    readonly channels: 1 | 2,
  ) {
    this.decoder = new OpusDecoder({ sampleRate, channels });
    this.unit = sampleRate / 400;
  }

  packetSamples(payload: Uint8Array): number | undefined {
    return opusPacketSamples(payload);
  }

  decode(payload: Uint8Array): Int16Array {
    return this.decoder.decode(payload);
  }

  fill(samples: number, next: Uint8Array | undefined, allowPlc: boolean): { pcm: Int16Array; kind: FillKind } {
    if (!allowPlc) return { pcm: new Int16Array(samples * this.channels), kind: 'silence' };
    const unit = this.unit;
    if (next !== undefined && samples % unit === 0 && samples <= 48 * unit && opusHasFec(next)) {
      // libopus rebuilds the last `next`-long part from FEC and conceals the rest before it.
      const nextSamples = ((opusPacketSamples(next) ?? Infinity) * this.sampleRate) / 48000;
      if (samples >= nextSamples) {
        try {
          return { pcm: this.decoder.decodeFec(next, samples), kind: 'fec' };
        } catch {
          // a corrupt next packet: conceal instead
        }
      }
    }
    const out = new Int16Array(samples * this.channels);
    let done = 0;
    while (samples - done >= unit) {
      const n = Math.min(48 * unit, Math.floor((samples - done) / unit) * unit);
      out.set(this.decoder.conceal(n), done * this.channels);
      done += n;
    }
    return { pcm: out, kind: 'plc' }; // (a remainder under 2.5 ms stays silent)
  }

  reset(): void {
    this.decoder.reset();
  }

  close(): void {
    this.decoder.close();
  }
}

class G711RtpDecoder implements RtpAudioDecoder {
  readonly sampleRate = 8000;
  readonly channels = 1;

  constructor(private readonly decodeG711: (payload: Uint8Array) => Int16Array) {}

  packetSamples(payload: Uint8Array): number {
    return payload.length;
  }

  decode(payload: Uint8Array): Int16Array {
    return this.decodeG711(payload);
  }

  fill(samples: number): { pcm: Int16Array; kind: FillKind } {
    return { pcm: new Int16Array(samples), kind: 'silence' };
  }

  reset(): void {}

  close(): void {}
}
