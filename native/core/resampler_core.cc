#include "resampler_core.h"

#include <samplerate.h>

#include <cmath>

namespace voxrtc {

namespace {
// libsamplerate error code used when the caller's output buffer is too small.
constexpr int kOutputTooSmall = -1000;
}  // namespace

ResamplerCore::ResamplerCore(int inputRate, int outputRate, int channels, int quality)
    : channels_(channels), ratio_(static_cast<double>(outputRate) / inputRate) {
  state_ = src_new(quality, channels, &error_);
  if (state_ == nullptr && error_ == 0) error_ = 1;  // libsamplerate: "Malloc failed."
}

ResamplerCore::~ResamplerCore() {
  if (state_ != nullptr) src_delete(state_);
}

std::string ResamplerCore::errorText() const {
  if (error_ == kOutputTooSmall) return "output buffer too small";
  const char* text = src_strerror(error_);
  return text != nullptr ? text : "unknown libsamplerate error";
}

long ResamplerCore::MaxOutputFrames(long inputFrames) const {
  const double total = std::ceil(static_cast<double>(totalIn_ + inputFrames) * ratio_);
  const long bound = static_cast<long>(total - static_cast<double>(totalOut_)) + 4;
  return bound > 4 ? bound : 4;
}

long ResamplerCore::Process(const float* in, long inputFrames, float* out, long outCapacityFrames,
                            bool endOfInput) {
  // libsamplerate ignores end_of_input when data_in is null (an empty JS
  // typed array has no backing store), so point empty input at a dummy.
  static const float kNoInput[1] = {0.0f};
  if (inputFrames == 0 || in == nullptr) in = kNoInput;
  SRC_DATA data;
  data.src_ratio = ratio_;
  long written = 0;
  long consumed = 0;
  for (;;) {
    data.data_in = in + consumed * channels_;
    data.input_frames = inputFrames - consumed;
    data.data_out = out + written * channels_;
    data.output_frames = outCapacityFrames - written;
    data.end_of_input = endOfInput ? 1 : 0;
    data.input_frames_used = 0;
    data.output_frames_gen = 0;
    const int rc = src_process(state_, &data);
    if (rc != 0) {
      error_ = rc;
      return -1;
    }
    consumed += data.input_frames_used;
    written += data.output_frames_gen;
    const bool inputDone = consumed >= inputFrames;
    if (inputDone && (!endOfInput || data.output_frames_gen == 0)) break;
    if (written >= outCapacityFrames) {
      error_ = kOutputTooSmall;
      return -1;
    }
    if (data.input_frames_used == 0 && data.output_frames_gen == 0 && !endOfInput) break;
  }
  totalIn_ += inputFrames;
  totalOut_ += written;
  if (endOfInput) Reset();
  return written;
}

long ResamplerCore::ProcessS16(const int16_t* in, long inputFrames, int16_t* out,
                               long outCapacityFrames, bool endOfInput) {
  const size_t inSamples = static_cast<size_t>(inputFrames) * channels_;
  const size_t outSamples = static_cast<size_t>(outCapacityFrames) * channels_;
  if (scratchIn_.size() < inSamples) scratchIn_.resize(inSamples);
  if (scratchOut_.size() < outSamples) scratchOut_.resize(outSamples);
  if (inSamples > 0) src_short_to_float_array(in, scratchIn_.data(), static_cast<int>(inSamples));
  const long written =
      Process(scratchIn_.data(), inputFrames, scratchOut_.data(), outCapacityFrames, endOfInput);
  if (written > 0) {
    src_float_to_short_array(scratchOut_.data(), out, static_cast<int>(written * channels_));
  }
  return written;
}

void ResamplerCore::Reset() {
  src_reset(state_);
  totalIn_ = 0;
  totalOut_ = 0;
}

int ResamplerCore::StateBytes(int channels, int quality) {
  // libsamplerate 0.2 sizes a sinc converter's buffer as
  // 3 × ((coeff_half_len + 2) / increment × SRC_MAX_RATIO (256) + 1) frames,
  // at least 4096, times the channel count, in floats; the coefficient tables
  // themselves are static. Reporting the real size lets V8 collect dropped
  // resamplers early enough.
  double halfLen = 2464, increment = 128;  // SRC_SINC_FASTEST
  if (quality == SRC_SINC_MEDIUM_QUALITY) {
    halfLen = 22438;
    increment = 491;
  } else if (quality == SRC_SINC_BEST_QUALITY) {
    halfLen = 340239;
    increment = 2381;
  }
  long frames = 3 * std::lrint((halfLen + 2.0) / increment * 256 + 1);
  if (frames < 4096) frames = 4096;
  return static_cast<int>(1024 + (frames * channels + 1) * static_cast<long>(sizeof(float)));
}

}  // namespace voxrtc
