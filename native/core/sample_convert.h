// Sample-format and channel-layout conversion, independent of Node.
// All functions work on caller-owned buffers and never allocate.
#pragma once

#include <cstddef>
#include <cstdint>

namespace voxrtc {

// s16 -> f32 in [-1, 1): x / 32768.
void S16ToF32(const int16_t* in, float* out, size_t count);
// f32 -> s16 with rounding and clipping to [-32768, 32767]; NaN becomes 0.
void F32ToS16(const float* in, int16_t* out, size_t count);

// Interleaved (LRLR...) <-> planar (LL...RR...), `frames` frames of `channels`.
template <typename T>
void Deinterleave(const T* in, T* out, size_t frames, int channels) {
  for (int c = 0; c < channels; ++c) {
    T* plane = out + static_cast<size_t>(c) * frames;
    const T* src = in + c;
    for (size_t i = 0; i < frames; ++i) plane[i] = src[i * channels];
  }
}

template <typename T>
void Interleave(const T* in, T* out, size_t frames, int channels) {
  for (int c = 0; c < channels; ++c) {
    const T* plane = in + static_cast<size_t>(c) * frames;
    T* dst = out + c;
    for (size_t i = 0; i < frames; ++i) dst[i * channels] = plane[i];
  }
}

// Interleaved channel remapping. `matrix` has outChannels rows of inChannels
// gains (row-major); when null the default rules apply: 1 -> M copies the
// channel, N -> 1 averages, otherwise output channel j takes input channel j
// (j < N) and silence beyond.
void RemixS16(const int16_t* in, int inChannels, int16_t* out, int outChannels, size_t frames,
              const float* matrix);
void RemixF32(const float* in, int inChannels, float* out, int outChannels, size_t frames,
              const float* matrix);

}  // namespace voxrtc
