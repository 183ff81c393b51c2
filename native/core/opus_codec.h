// Opus encoder and decoder state, independent of Node.
// Used by the N-API wrappers (native/src) and by the C++ benchmark program.
#pragma once

#include <cstdint>
#include <string>

struct OpusEncoder;
struct OpusDecoder;

namespace voxrtc {

// Largest Opus packet we ever produce: libopus recommends 4000 bytes.
constexpr int kMaxOpusPacketBytes = 4000;
// Smallest output buffer accepted: below this libopus can only emit a
// header-only packet, which a decoder takes for a lost frame.
constexpr int kMinOpusOutBytes = 3;

// Returns libopus's text for an error code, e.g. "corrupted stream".
std::string OpusErrorText(int code);

class OpusEncoderCore {
 public:
  // application: OPUS_APPLICATION_VOIP / _AUDIO / _RESTRICTED_LOWDELAY.
  // On failure, error() is non-zero and every other call is invalid.
  OpusEncoderCore(int sampleRate, int channels, int application);
  ~OpusEncoderCore();
  OpusEncoderCore(const OpusEncoderCore&) = delete;
  OpusEncoderCore& operator=(const OpusEncoderCore&) = delete;

  int error() const { return error_; }
  int sampleRate() const { return sampleRate_; }
  int channels() const { return channels_; }

  // Encode one frame of interleaved samples; returns bytes written or a
  // negative libopus error code.
  int Encode(const int16_t* pcm, int samplesPerChannel, uint8_t* out, int outBytes);
  int EncodeFloat(const float* pcm, int samplesPerChannel, uint8_t* out, int outBytes);

  // Each returns OPUS_OK or a negative libopus error code.
  int SetBitrate(int bitsPerSecond);  // OPUS_AUTO (-1000) or OPUS_BITRATE_MAX (-1) allowed
  int SetComplexity(int complexity);
  int SetInbandFec(bool enabled);
  int SetPacketLossPercent(int percent);
  int SetDtx(bool enabled);
  int SetSignal(int signal);  // OPUS_AUTO, OPUS_SIGNAL_VOICE or OPUS_SIGNAL_MUSIC
  int GetBitrate(int* value);
  int GetLookahead(int* value);
  int ResetState();

  // Approximate heap bytes held by the state (for GC accounting).
  static int StateBytes(int channels);

 private:
  ::OpusEncoder* enc_ = nullptr;
  int error_ = 0;
  int sampleRate_;
  int channels_;
};

class OpusDecoderCore {
 public:
  OpusDecoderCore(int sampleRate, int channels);
  ~OpusDecoderCore();
  OpusDecoderCore(const OpusDecoderCore&) = delete;
  OpusDecoderCore& operator=(const OpusDecoderCore&) = delete;

  int error() const { return error_; }
  int sampleRate() const { return sampleRate_; }
  int channels() const { return channels_; }

  // packet == nullptr (or bytes == 0) asks for packet-loss concealment of
  // exactly samplesPerChannel samples. fec=true decodes the in-band FEC data
  // of `packet` (the packet after a lost one); samplesPerChannel must then be
  // the duration of the lost frame. Returns samples per channel or a negative
  // libopus error code.
  int Decode(const uint8_t* packet, int bytes, int16_t* out, int samplesPerChannel, bool fec);
  int DecodeFloat(const uint8_t* packet, int bytes, float* out, int samplesPerChannel, bool fec);

  // Samples per channel the packet decodes to at this decoder's rate, or a
  // negative libopus error code.
  int PacketSamples(const uint8_t* packet, int bytes) const;
  int LastPacketDuration(int* value);
  int ResetState();

  static int StateBytes(int channels);

 private:
  ::OpusDecoder* dec_ = nullptr;
  int error_ = 0;
  int sampleRate_;
  int channels_;
};

}  // namespace voxrtc
