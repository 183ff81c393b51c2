#include "sample_convert.h"

#include <cmath>

namespace voxrtc {

namespace {

inline int16_t ClipToS16(float scaled) {
  if (!(scaled == scaled)) return 0;  // NaN
  if (scaled >= 32767.0f) return 32767;
  if (scaled <= -32768.0f) return -32768;
  return static_cast<int16_t>(std::lrintf(scaled));
}

inline int16_t ClipToS16(double value) {
  if (value >= 32767.0) return 32767;
  if (value <= -32768.0) return -32768;
  return static_cast<int16_t>(std::lrint(value));
}

template <typename T, typename Acc>
void RemixDefault(const T* in, int inChannels, T* out, int outChannels, size_t frames,
                  Acc (*store)(double)) {
  if (inChannels == 1) {
    for (size_t i = 0; i < frames; ++i) {
      const T v = in[i];
      for (int c = 0; c < outChannels; ++c) out[i * outChannels + c] = v;
    }
    return;
  }
  if (outChannels == 1) {
    const double scale = 1.0 / inChannels;
    for (size_t i = 0; i < frames; ++i) {
      double sum = 0;
      for (int c = 0; c < inChannels; ++c) sum += in[i * inChannels + c];
      out[i] = store(sum * scale);
    }
    return;
  }
  for (size_t i = 0; i < frames; ++i) {
    for (int c = 0; c < outChannels; ++c) {
      out[i * outChannels + c] = c < inChannels ? in[i * inChannels + c] : T(0);
    }
  }
}

template <typename T, typename Acc>
void RemixMatrix(const T* in, int inChannels, T* out, int outChannels, size_t frames,
                 const float* matrix, Acc (*store)(double)) {
  for (size_t i = 0; i < frames; ++i) {
    const T* frame = in + i * inChannels;
    for (int o = 0; o < outChannels; ++o) {
      const float* row = matrix + static_cast<size_t>(o) * inChannels;
      double sum = 0;
      for (int c = 0; c < inChannels; ++c) sum += row[c] * static_cast<double>(frame[c]);
      out[i * outChannels + o] = store(sum);
    }
  }
}

int16_t StoreS16(double v) { return ClipToS16(v); }
float StoreF32(double v) { return static_cast<float>(v); }

}  // namespace

void S16ToF32(const int16_t* in, float* out, size_t count) {
  constexpr float kScale = 1.0f / 32768.0f;
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(in[i]) * kScale;
}

void F32ToS16(const float* in, int16_t* out, size_t count) {
  for (size_t i = 0; i < count; ++i) out[i] = ClipToS16(in[i] * 32768.0f);
}

void RemixS16(const int16_t* in, int inChannels, int16_t* out, int outChannels, size_t frames,
              const float* matrix) {
  if (matrix == nullptr) {
    RemixDefault<int16_t, int16_t>(in, inChannels, out, outChannels, frames, StoreS16);
  } else {
    RemixMatrix<int16_t, int16_t>(in, inChannels, out, outChannels, frames, matrix, StoreS16);
  }
}

void RemixF32(const float* in, int inChannels, float* out, int outChannels, size_t frames,
              const float* matrix) {
  if (matrix == nullptr) {
    RemixDefault<float, float>(in, inChannels, out, outChannels, frames, StoreF32);
  } else {
    RemixMatrix<float, float>(in, inChannels, out, outChannels, frames, matrix, StoreF32);
  }
}

}  // namespace voxrtc
