#include "convert_functions.h"

#include <string>

#include "../core/g711.h"
#include "../core/sample_convert.h"
#include "args.h"

namespace voxrtc {

namespace {

void CheckSameLength(Napi::Env env, const char* where, size_t in, size_t out) {
  if (out < in) {
    ThrowRange(env, std::string(where) + ": out must hold at least " + std::to_string(in) +
                        " values; got " + std::to_string(out));
  }
}

// s16ToF32(in: Int16Array, out: Float32Array)
Napi::Value S16ToF32Into(const Napi::CallbackInfo& info) {
  const char* where = "s16ToF32Into";
  SampleView in = GetTyped(info, 0, napi_int16_array, where, "input");
  SampleView out = GetTyped(info, 1, napi_float32_array, where, "out");
  CheckSameLength(info.Env(), where, in.length, out.length);
  S16ToF32(static_cast<const int16_t*>(in.data), static_cast<float*>(out.data), in.length);
  return info.Env().Undefined();
}

Napi::Value F32ToS16Into(const Napi::CallbackInfo& info) {
  const char* where = "f32ToS16Into";
  SampleView in = GetTyped(info, 0, napi_float32_array, where, "input");
  SampleView out = GetTyped(info, 1, napi_int16_array, where, "out");
  CheckSameLength(info.Env(), where, in.length, out.length);
  F32ToS16(static_cast<const float*>(in.data), static_cast<int16_t*>(out.data), in.length);
  return info.Env().Undefined();
}

template <bool kToPlanar>
Napi::Value ReorderInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = kToPlanar ? "deinterleaveInto" : "interleaveInto";
  SampleView in = GetSamples(info, 0, where, "input");
  SampleView out = GetSamples(info, 1, where, "out");
  const int channels = GetInt(info, 2, 1, 64, where, "channels");
  if (in.type != out.type) ThrowType(env, std::string(where) + ": out must be the same type as input");
  if (in.length % channels != 0) {
    ThrowRange(env, std::string(where) + ": input must hold a multiple of " +
                        std::to_string(channels) + " values; got " + std::to_string(in.length));
  }
  CheckSameLength(env, where, in.length, out.length);
  const size_t frames = in.length / channels;
  if (in.isFloat()) {
    auto* src = static_cast<const float*>(in.data);
    auto* dst = static_cast<float*>(out.data);
    kToPlanar ? Deinterleave(src, dst, frames, channels) : Interleave(src, dst, frames, channels);
  } else {
    auto* src = static_cast<const int16_t*>(in.data);
    auto* dst = static_cast<int16_t*>(out.data);
    kToPlanar ? Deinterleave(src, dst, frames, channels) : Interleave(src, dst, frames, channels);
  }
  return env.Undefined();
}

// remixInto(input, inChannels, out, outChannels, matrix: Float32Array | null)
Napi::Value RemixInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "remixInto";
  SampleView in = GetSamples(info, 0, where, "input");
  const int inChannels = GetInt(info, 1, 1, 64, where, "inputChannels");
  SampleView out = GetSamples(info, 2, where, "out");
  const int outChannels = GetInt(info, 3, 1, 64, where, "outputChannels");
  const float* matrix = nullptr;
  if (!info[4].IsNull() && !info[4].IsUndefined()) {
    SampleView m = GetTyped(info, 4, napi_float32_array, where, "matrix");
    if (m.length != static_cast<size_t>(inChannels) * outChannels) {
      ThrowRange(env, std::string(where) + ": matrix must hold outputChannels × inputChannels = " +
                          std::to_string(inChannels * outChannels) + " gains; got " +
                          std::to_string(m.length));
    }
    matrix = static_cast<const float*>(m.data);
  }
  if (in.type != out.type) ThrowType(env, std::string(where) + ": out must be the same type as input");
  if (in.length % inChannels != 0) {
    ThrowRange(env, std::string(where) + ": input must hold a multiple of " +
                        std::to_string(inChannels) + " values; got " + std::to_string(in.length));
  }
  const size_t frames = in.length / inChannels;
  CheckSameLength(env, where, frames * outChannels, out.length);
  if (in.isFloat()) {
    RemixF32(static_cast<const float*>(in.data), inChannels, static_cast<float*>(out.data),
             outChannels, frames, matrix);
  } else {
    RemixS16(static_cast<const int16_t*>(in.data), inChannels, static_cast<int16_t*>(out.data),
             outChannels, frames, matrix);
  }
  return env.Undefined();
}

using EncodeFn = void (*)(const int16_t*, uint8_t*, size_t);
using DecodeFn = void (*)(const uint8_t*, int16_t*, size_t);

template <EncodeFn kEncode>
Napi::Value G711EncodeInto(const Napi::CallbackInfo& info) {
  const char* where = kEncode == UlawEncode ? "ulawEncodeInto" : "alawEncodeInto";
  SampleView in = GetTyped(info, 0, napi_int16_array, where, "input");
  SampleView out = GetTyped(info, 1, napi_uint8_array, where, "out");
  CheckSameLength(info.Env(), where, in.length, out.length);
  kEncode(static_cast<const int16_t*>(in.data), static_cast<uint8_t*>(out.data), in.length);
  return info.Env().Undefined();
}

template <DecodeFn kDecode>
Napi::Value G711DecodeInto(const Napi::CallbackInfo& info) {
  const char* where = kDecode == UlawDecode ? "ulawDecodeInto" : "alawDecodeInto";
  SampleView in = GetTyped(info, 0, napi_uint8_array, where, "input");
  SampleView out = GetTyped(info, 1, napi_int16_array, where, "out");
  CheckSameLength(info.Env(), where, in.length, out.length);
  kDecode(static_cast<const uint8_t*>(in.data), static_cast<int16_t*>(out.data), in.length);
  return info.Env().Undefined();
}

}  // namespace

void RegisterConvertFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("s16ToF32Into", Napi::Function::New<S16ToF32Into>(env, "s16ToF32Into"));
  exports.Set("f32ToS16Into", Napi::Function::New<F32ToS16Into>(env, "f32ToS16Into"));
  exports.Set("deinterleaveInto", Napi::Function::New<ReorderInto<true>>(env, "deinterleaveInto"));
  exports.Set("interleaveInto", Napi::Function::New<ReorderInto<false>>(env, "interleaveInto"));
  exports.Set("remixInto", Napi::Function::New<RemixInto>(env, "remixInto"));
  exports.Set("ulawEncodeInto", Napi::Function::New<G711EncodeInto<UlawEncode>>(env, "ulawEncodeInto"));
  exports.Set("ulawDecodeInto", Napi::Function::New<G711DecodeInto<UlawDecode>>(env, "ulawDecodeInto"));
  exports.Set("alawEncodeInto", Napi::Function::New<G711EncodeInto<AlawEncode>>(env, "alawEncodeInto"));
  exports.Set("alawDecodeInto", Napi::Function::New<G711DecodeInto<AlawDecode>>(env, "alawDecodeInto"));
}

}  // namespace voxrtc
