/**
 * voxrtc: a WebRTC audio backend for Node.js over a native audio core.
 *
 * This entry point exports the audio core: Opus encoding and decoding,
 * resampling, sample-format and channel-layout conversion, and G.711.
 * @packageDocumentation
 */
import { getNativeInfo, type NativeInfo } from './core/native';

export { OpusEncoder } from './core/opus-encoder';
export type { OpusEncoderOptions, OpusApplication, OpusSampleRate, OpusSignal } from './core/opus-encoder';
export { OpusDecoder } from './core/opus-decoder';
export type { OpusDecoderOptions, SampleFormat } from './core/opus-decoder';
export { Resampler } from './core/resampler';
export type { ResamplerOptions, ResamplerQuality } from './core/resampler';
export {
  s16ToF32,
  s16ToF32Into,
  f32ToS16,
  f32ToS16Into,
  interleave,
  interleaveInto,
  deinterleave,
  deinterleaveInto,
  remix,
  remixInto,
  defaultRemixMatrix,
} from './core/convert';
export type { RemixOptions } from './core/convert';
export { ulawEncode, ulawEncodeInto, ulawDecode, ulawDecodeInto, alawEncode, alawEncodeInto, alawDecode, alawDecodeInto } from './core/g711';
export type { Pcm } from './core/validate';
export type { NativeInfo } from './core/native';

/**
 * Which native binary is in use (`path`, `source`) and the library versions it
 * was built with. Reading a property loads the addon if it is not loaded yet.
 */
export const nativeInfo: NativeInfo = {
  get path() {
    return getNativeInfo().path;
  },
  get source() {
    return getNativeInfo().source;
  },
  get opusVersion() {
    return getNativeInfo().opusVersion;
  },
  get samplerateVersion() {
    return getNativeInfo().samplerateVersion;
  },
};

// --- media layer: frames and tracks, no network ---
export { AudioFrame } from './media/audio-frame';
export type { AudioFrameInit, AudioFormat, AudioLayout, TimeBase } from './media/audio-frame';
export { MediaStreamTrack, MediaStreamError } from './media/media-stream-track';
export type { TrackState } from './media/media-stream-track';
export { AudioStreamTrack } from './media/audio-stream-track';
export type { AudioStreamTrackOptions } from './media/audio-stream-track';
export { AudioSource, AudioSourceTrack } from './media/audio-source';
export type { AudioSourceOptions, PushOptions } from './media/audio-source';
export { MediaBlackHole } from './media/black-hole';
export { MediaRelay, RelayTrack } from './media/relay';
export type { MediaRelayOptions, SubscribeOptions } from './media/relay';
export { AudioResampler } from './media/audio-resampler';
export type { AudioResamplerOptions } from './media/audio-resampler';
export { MediaRecorder } from './media/recorder/media-recorder';
export type { RecorderState } from './media/recorder/media-recorder';
export type { MediaRecorderOptions, RecordingFormat } from './media/recorder/recorder-options';
export { RecorderError, TimelineWarning } from './media/recorder/recorder-events';
export type { MediaRecorderStats, RecorderErrorCode } from './media/recorder/recorder-events';
export { MediaPlayer } from './media/player/media-player';
export type { MediaPlayerOptions } from './media/player/media-player';
export { MediaPlayerTrack } from './media/player/player-track';
export { PlayerError } from './media/player/player-error';
export type { PlayerErrorCode } from './media/player/player-error';

// --- WebRTC layer (werift): remote tracks, sending, sessions ---
export { PeerSession } from './rtc/peer-session';
export type { PeerSessionOptions, SessionDescription, SessionStats } from './rtc/peer-session';
export type { NetworkOptions, CodecName } from './rtc/peer-config';
export { SessionRegistry } from './rtc/session-registry';
export type { ImpairmentOptions, ImpairmentStats } from './rtc/impairment';
export { Impairment } from './rtc/impairment';
export { RemoteAudioTrack } from './rtc/remote-audio-track';
export type { RemoteAudioTrackOptions, RemoteAudioOutput, RemoteAudioTrackStats } from './rtc/remote-audio-track';
export { JitterBuffer } from './rtc/jitter-buffer';
export type { JitterBufferOptions, JitterBufferStats, JitterEvent } from './rtc/jitter-buffer';
export type { LatencySummary } from './rtc/latency-window';
export { AudioSender } from './rtc/audio-sender';
export type {
  AudioSenderOptions,
  AudioSenderStats,
  AudioSenderState,
  AudioSenderStopReason,
  RtpSink,
  OutgoingRtpPacket,
  OpusSendOptions,
  ResolvedOpusSettings,
} from './rtc/audio-sender';
export { OPUS, PCMU, PCMA, samplesPerPacket, parseFmtp, formatFmtp } from './rtc/codec';
export type { AudioCodec, AudioCodecName } from './rtc/codec';
export type { ReceivedRtpPacket } from './rtc/rtp-packet';

// --- signaling: HTTP/WebSocket server, demo page, CLI modes ---
export { createServer } from './signaling/server';
export type { SignalingServer, ListenAddress } from './signaling/server';
export type { ServerOptions, SessionHandler, SessionContext, SessionCleanup } from './signaling/options';
export { createMode, echoSession, playSession, recordSession, recordingPath } from './signaling/modes';
export type { ServeMode, ModeOptions, ModeSetup } from './signaling/modes';
export { HttpError } from './signaling/http-error';
