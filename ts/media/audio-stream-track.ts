import { AudioFrame, type AudioFormat } from './audio-frame';
import { PacingClock } from './clock';
import { MediaStreamTrack } from './media-stream-track';
import { checkInteger, checkOneOf, checkOptions, invalidRange, invalidType } from '../core/validate';

/** Options for {@link AudioStreamTrack}. */
export interface AudioStreamTrackOptions {
  /** Default 48000. */
  sampleRate?: number;
  /** Default 1. */
  channels?: number;
  /** Frame duration in milliseconds, 10 to 60 in steps the rate divides evenly. Default 20. */
  frameMs?: number;
  /** Default `'s16'`. */
  format?: AudioFormat;
  /** A sine tone instead of silence: `frequency` in Hz, `amplitude` 0..1 of full scale (default 0.5). */
  tone?: { frequency: number; amplitude?: number };
  /** Track id. */
  id?: string;
}

/**
 * A live audio track of silence (or a steady tone), one frame every `frameMs`
 * on an absolute clock: `recv()` resolves when the next frame is due, pts are
 * contiguous, and the timing does not drift however long it runs.
 */
export class AudioStreamTrack extends MediaStreamTrack {
  /** Samples per second. */
  readonly sampleRate: number;
  /** Channels (interleaved). */
  readonly channels: number;
  /** Samples per channel in each frame. */
  readonly samplesPerFrame: number;
  /** Sample format of the frames. */
  readonly format: AudioFormat;
  private readonly clock: PacingClock;
  private readonly abort = new AbortController();
  private readonly tone: { frequency: number; amplitude: number } | undefined;
  private pts = 0;

  constructor(options: AudioStreamTrackOptions = {}) {
    super({ id: options.id });
    const where = 'AudioStreamTrack';
    const o = checkOptions(where, options, ['sampleRate', 'channels', 'frameMs', 'format', 'tone', 'id']);
    this.sampleRate = checkInteger(where, 'options.sampleRate', o.sampleRate ?? 48000, 8000, 192000);
    this.channels = checkInteger(where, 'options.channels', o.channels ?? 1, 1, 8);
    const frameMs = checkInteger(where, 'options.frameMs', o.frameMs ?? 20, 10, 60);
    if ((this.sampleRate * frameMs) % 1000 !== 0) {
      throw invalidRange(where, 'options.frameMs', `a duration that is a whole number of samples at ${this.sampleRate} Hz`, `${frameMs}`);
    }
    this.samplesPerFrame = (this.sampleRate * frameMs) / 1000;
    this.format = checkOneOf(where, 'options.format', o.format ?? 's16', ['s16', 'f32'] as const);
    if (o.tone !== undefined) {
      const t = o.tone as { frequency?: unknown; amplitude?: unknown };
      if (t === null || typeof t !== 'object') throw invalidType(where, 'options.tone', 'an object { frequency, amplitude }', o.tone);
      if (typeof t.frequency !== 'number' || !(t.frequency > 0 && t.frequency < this.sampleRate / 2)) {
        throw invalidRange(where, 'options.tone.frequency', `a number of Hz between 0 and ${this.sampleRate / 2}`, String(t.frequency));
      }
      const amplitude = t.amplitude ?? 0.5;
      if (typeof amplitude !== 'number' || !(amplitude >= 0 && amplitude <= 1)) {
        throw invalidRange(where, 'options.tone.amplitude', 'a number from 0 to 1', String(amplitude));
      }
      this.tone = { frequency: t.frequency, amplitude };
    }
    this.clock = new PacingClock(frameMs);
  }

  /** The next frame, when it is due. */
  async recv(): Promise<AudioFrame> {
    try {
      await this.clock.next(this.abort.signal);
    } catch {
      throw this.endedError();
    }
    if (this.readyState === 'ended') throw this.endedError();
    const frame = this.makeFrame(this.pts);
    this.pts += this.samplesPerFrame;
    return frame;
  }

  protected override onStop(): void {
    this.abort.abort();
  }

  private makeFrame(pts: number): AudioFrame {
    const n = this.samplesPerFrame;
    const length = n * this.channels;
    const data = this.format === 'f32' ? new Float32Array(length) : new Int16Array(length);
    if (this.tone) {
      const scale = this.format === 'f32' ? this.tone.amplitude : this.tone.amplitude * 32767;
      const w = (2 * Math.PI * this.tone.frequency) / this.sampleRate;
      for (let i = 0; i < n; i++) {
        // Phase from the absolute sample index: continuous across frames, no accumulated error.
        const v = scale * Math.sin(w * ((pts + i) % (this.sampleRate * 1000)));
        for (let c = 0; c < this.channels; c++) data[i * this.channels + c] = this.format === 'f32' ? v : Math.round(v);
      }
    }
    return new AudioFrame({ data, sampleRate: this.sampleRate, channels: this.channels, samplesPerChannel: n, pts });
  }
}
