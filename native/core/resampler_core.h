// Streaming sample-rate conversion over libsamplerate, independent of Node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

typedef struct SRC_STATE_tag SRC_STATE;

namespace voxrtc {

class ResamplerCore {
 public:
  // quality is a libsamplerate converter type (SRC_SINC_BEST_QUALITY = 0,
  // SRC_SINC_MEDIUM_QUALITY = 1, SRC_SINC_FASTEST = 2).
  ResamplerCore(int inputRate, int outputRate, int channels, int quality);
  ~ResamplerCore();
  ResamplerCore(const ResamplerCore&) = delete;
  ResamplerCore& operator=(const ResamplerCore&) = delete;

  int error() const { return error_; }
  std::string errorText() const;
  int channels() const { return channels_; }
  double ratio() const { return ratio_; }

  // Upper bound of the frames the next Process call can write for inputFrames
  // frames of input (end of input included).
  long MaxOutputFrames(long inputFrames) const;

  // Consumes all inputFrames interleaved frames; returns frames written, or -1
  // when outCapacityFrames was too small or libsamplerate failed (see error()).
  // With endOfInput the filter's tail is written too and the stream restarts.
  long Process(const float* in, long inputFrames, float* out, long outCapacityFrames,
               bool endOfInput);
  long ProcessS16(const int16_t* in, long inputFrames, int16_t* out, long outCapacityFrames,
                  bool endOfInput);

  void Reset();

  // Approximate heap bytes held by libsamplerate for this converter.
  static int StateBytes(int channels, int quality);

 private:
  SRC_STATE* state_ = nullptr;
  int error_ = 0;
  int channels_;
  double ratio_;
  long long totalIn_ = 0;
  long long totalOut_ = 0;
  std::vector<float> scratchIn_;
  std::vector<float> scratchOut_;
};

}  // namespace voxrtc
