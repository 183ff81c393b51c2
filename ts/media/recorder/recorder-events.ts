/** What went wrong, in {@link RecorderError.code}. */
export type RecorderErrorCode =
  /** Writing to the file or stream failed (reported once per run of failures). */
  | 'ERR_VOXRTC_RECORDER_WRITE'
  /** The track gave something that is not a usable AudioFrame; it was skipped. */
  | 'ERR_VOXRTC_RECORDER_FRAME'
  /** The track's recv() failed with something other than its end (reported once per run of failures). */
  | 'ERR_VOXRTC_RECORDER_TRACK'
  /** The write queue was full (the disk is slower than the audio); audio is being replaced by silence. */
  | 'ERR_VOXRTC_RECORDER_OVERFLOW'
  /** A WAV file reached its 4 GiB limit; later audio is not written. */
  | 'ERR_VOXRTC_RECORDER_FILE_FULL'
  /** Finalizing the file (closing it, ending the stream) failed. */
  | 'ERR_VOXRTC_RECORDER_CLOSE';

/**
 * An error the recorder reports through its `'error'` event. None of them
 * stops the recording.
 */
export class RecorderError extends Error {
  readonly code: RecorderErrorCode;
  constructor(message: string, code: RecorderErrorCode, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RecorderError';
    this.code = code;
  }
}

/**
 * A timeline correction, reported through the recorder's `'warning'` event:
 * silence filled into a gap, an overlap dropped, or a discontinuity (a jump
 * larger than `maxGapSeconds`) re-anchored.
 */
export class TimelineWarning extends Error {
  /** Which correction. */
  readonly kind: 'gap' | 'overlap' | 'discontinuity';
  /** The frame's start minus the written end, in seconds (positive: later). */
  readonly offsetSeconds: number;
  /** Where in the file it happened, in seconds. */
  readonly fileSeconds: number;
  constructor(kind: 'gap' | 'overlap' | 'discontinuity', message: string, offsetSeconds: number, fileSeconds: number) {
    super(message);
    this.name = 'TimelineWarning';
    this.kind = kind;
    this.offsetSeconds = offsetSeconds;
    this.fileSeconds = fileSeconds;
  }
}

/** Counters of a {@link MediaRecorder}; samples are per channel, at the file's rate. */
export interface MediaRecorderStats {
  /** Frames read from the track. */
  framesReceived: number;
  /** Frames whose audio (or part of it) went into the file. */
  framesWritten: number;
  /** Frames skipped because they were not usable (each reported as an error). */
  badFrames: number;
  /** Samples in the file: audio and silence. */
  samplesWritten: number;
  /** Silence inserted to fill pts gaps. */
  silenceSamplesInserted: number;
  /** Audio dropped because its pts overlapped audio already written. */
  samplesDroppedOverlap: number;
  /** Audio replaced by silence because the write queue was full. */
  samplesDroppedQueueFull: number;
  /** Audio refused because a WAV file reached 4 GiB. */
  samplesDroppedFileFull: number;
  /** Times a track running ahead of real time was made to wait for the disk (nothing dropped). */
  diskWaits: number;
  /** Pts jumps larger than maxGapSeconds (re-anchored, nothing filled). */
  discontinuities: number;
  /** Failed write operations. */
  writeErrors: number;
  /** Failed recv() calls (other than the track's end). */
  trackErrors: number;
  /** Bytes the sink has accepted. */
  bytesWritten: number;
  /** Bytes of data waiting in the write queue now. */
  queuedBytes: number;
}
