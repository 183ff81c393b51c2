/**
 * What the echo benchmark's processes tell each other (bench/echo.ts,
 * bench/echo-server.ts, bench/echo-load.ts). Counters are for the measuring
 * window: from `mark` to `report`.
 */

/** One echo call, as the measured process (the callee) sees it. */
export interface EchoCallReport {
  connectionState: string;
  /** RemoteAudioTrack of the callee (what the caller sent). */
  rx: {
    packetsReceived: number;
    framesDecoded: number;
    packetsLost: number;
    packetsLate: number;
    fecFrames: number;
    plcFrames: number;
    silenceFrames: number;
    queueDrops: number;
    /** Frames waiting in the track's queue for the AudioSender at the start and at the end of the window (a standing backlog: × 20 ms of delay). */
    queueAtMark: number;
    queueAtReport: number;
    /** From RTP arrival (werift's onReceiveRtp) to the frame being queued: the track's window of its last 500 packets. */
    latencyMs: { p50: number; p99: number; max: number; count: number };
    /** From the arrival of the packet that completed a frame until the AudioSender's read of that frame resolved: its last 500 frames. */
    deliveryLatencyMs: { p50: number; p99: number; max: number; count: number };
    bufferDelayMs: number;
    targetDelayMs: number;
    jitterMs: number;
  };
  /** AudioSender of the callee (the echo going back). */
  tx: {
    packetsSent: number;
    silencePackets: number;
    lateTicks: number;
    /** Times the sender's clock gave up catching up after the event loop was blocked over 200 ms. */
    clockSlips: number;
    framesPulled: number;
    /** Packets read ahead, waiting in the sender at the end of the window. */
    bufferedPackets: number;
    /** Opus encode time in the window by AudioSender's own wall-clock mean (meanEncodeMicros × packets encoded), µs, and packets encoded. */
    encodeUs: number;
    encodedPackets: number;
    opus: string;
    /** At the end of the window: the encoder's expected loss (FEC follows the callers' RTCP reports), and the reports received in the window. */
    packetLossPercent: number;
    lossReports: number;
  };
}

/** Time in one codec method over the window, all calls together (wall clock around each call). */
export interface CodecTime {
  /** Sum, µs, with calls that were evidently preempted (over 5 × the median and the median + 1 ms) counted as the median. */
  us: number;
  /** Raw sum, µs. */
  wallUs: number;
  calls: number;
  /** Calls counted as the median. */
  preempted: number;
  medianUs: number;
}

export interface EchoReport {
  /** Wall time of the window, ms. */
  wallMs: number;
  /** process.cpuUsage() over the window, µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Garbage collection in the window (PerformanceObserver 'gc'), ms, and collections. */
  gcMs: number;
  gcCount: number;
  heapUsedMB: number;
  rssMB: number;
  calls: EchoCallReport[];
  /** OpusDecoder.decode and OpusEncoder.encode, timed in place (all calls). */
  decode: CodecTime;
  encode: CodecTime;
  /** Event-loop delay over the window (perf_hooks.monitorEventLoopDelay, 10 ms resolution), ms; null unless asked for (profiling runs). */
  loopDelayP99Ms: number | null;
  loopDelayMaxMs: number | null;
  /** Process warnings by code since the start (e.g. VOXRTC_TRACK_UNREAD). */
  warnings: Record<string, number>;
  /** Sessions the process holds that are not connected (closed by the watchdog, failed). */
  notConnected: number;
  /** The .cpuprofile written for this window, when profiling. */
  profile: string | null;
}

/** One call, as the load generator (the caller) sees it. */
export interface LoadCallReport {
  connectionState: string;
  /** RTP packets the caller sent in the window. */
  packetsSent: number;
  /** RTP packets of the echo that came back. */
  rtpReceived: number;
  /** Of those, decoded into frames (RemoteAudioTrack.stats().framesDecoded; excludes PLC and silence fills). */
  framesDecoded: number;
  packetsLost: number;
  plcFrames: number;
  /**
   * The caller's RemoteAudioTrack, read as soon as it has a frame (the way a
   * speech-to-text consumer reads): from a returned packet's arrival until
   * the frame it completed was handed to that reader, its last 500 frames.
   */
  deliveryLatencyMs: { p50: number; p99: number; max: number; count: number };
  /** Level of the audio that came back (dBFS RMS over the window). */
  returnedDb: number;
  /**
   * Round trip through the echo: caller sends → echo → caller's frame, from
   * matching the envelope of the returned audio against what was sent
   * (best lag of a log-energy correlation over the window's last 5 s), ms;
   * and that correlation (near 1: a clear match; below ~0.5: not trustworthy).
   */
  roundTripMs: number | null;
  roundTripCorrelation: number | null;
}

export interface LoadReport {
  wallMs: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  calls: LoadCallReport[];
  /** Level of what the callers send (dBFS RMS of the whole speech loop). */
  sentDb: number;
  /** Lateness of the callers' send timers in the window: p99 and max, ms. */
  sendLateP99Ms: number;
  sendLateMaxMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  warnings: Record<string, number>;
  /** The ICE pair of the first call (local → remote), to show what carried the media. */
  selectedPair: string | null;
}

/** A caller's offer, for the echo process, and its answer. */
export interface OfferArgs {
  sdp: string;
}
export interface AnswerResult {
  sdp: string;
}

export interface LoadConfig {
  /** 48 kHz mono s16 speech the callers send (looped), pre-encoded once. */
  speechFile: string;
  /** Opus settings of the pre-encoded stream. */
  complexity: number;
  bitrate: number;
}

/** Keeps only the 127.0.0.1 ICE candidates of an SDP (the signalling server's doing): media stays on loopback. */
export function loopbackOnly(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || / 127\.0\.0\.1 /.test(line))
    .join('\r\n');
}
