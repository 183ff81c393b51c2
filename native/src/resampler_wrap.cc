#include "resampler_wrap.h"

#include <cstring>
#include <string>

#include "args.h"

namespace voxrtc {

Napi::Function ResamplerWrap::Define(Napi::Env env) {
  return DefineClass(env, "Resampler",
                     {
                         InstanceMethod<&ResamplerWrap::Process>("process"),
                         InstanceMethod<&ResamplerWrap::ProcessInto>("processInto"),
                         InstanceMethod<&ResamplerWrap::MaxOutputSamples>("maxOutputSamples"),
                         InstanceMethod<&ResamplerWrap::Reset>("reset"),
                         InstanceMethod<&ResamplerWrap::Close>("close"),
                     });
}

ResamplerWrap::ResamplerWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<ResamplerWrap>(info) {
  Napi::Env env = info.Env();
  const char* where = "new Resampler";
  const int inputRate = GetInt(info, 0, 8000, 192000, where, "inputRate");
  const int outputRate = GetInt(info, 1, 8000, 192000, where, "outputRate");
  const int channels = GetInt(info, 2, 1, 8, where, "channels");
  const int quality = GetInt(info, 3, 0, 2, where, "quality");
  core_ = std::make_unique<ResamplerCore>(inputRate, outputRate, channels, quality);
  if (core_->error() != 0) {
    const std::string reason = core_->errorText();
    core_.reset();
    throw Napi::Error::New(env, std::string(where) + ": libsamplerate says \"" + reason + "\"");
  }
  externalBytes_ = ResamplerCore::StateBytes(channels, quality);
  Napi::MemoryManagement::AdjustExternalMemory(env, externalBytes_);
}

ResamplerWrap::~ResamplerWrap() { Release(); }

void ResamplerWrap::Release() {
  if (!core_) return;
  core_.reset();
  Napi::MemoryManagement::AdjustExternalMemory(Env(), -externalBytes_);
  externalBytes_ = 0;
  scratchF32_ = std::vector<float>();
  scratchS16_ = std::vector<int16_t>();
}

ResamplerCore& ResamplerWrap::Core(Napi::Env env, const char* where) {
  if (!core_) ThrowClosed(env, where, "resampler");
  return *core_;
}

namespace {

long RunCore(Napi::Env env, const char* where, ResamplerCore& core, const SampleView& in,
             void* out, long outFrames, bool end) {
  const long inFrames = static_cast<long>(in.length / core.channels());
  const long written =
      in.isFloat()
          ? core.Process(static_cast<const float*>(in.data), inFrames, static_cast<float*>(out),
                         outFrames, end)
          : core.ProcessS16(static_cast<const int16_t*>(in.data), inFrames,
                            static_cast<int16_t*>(out), outFrames, end);
  if (written < 0) {
    throw Napi::Error::New(env, std::string(where) + ": libsamplerate says \"" +
                                    core.errorText() + "\"");
  }
  return written;
}

void CheckWholeFrames(Napi::Env env, const char* where, const char* name, size_t length,
                      int channels) {
  if (length % channels != 0) {
    ThrowRange(env, std::string(where) + ": " + name + " must hold whole " +
                        std::to_string(channels) + "-channel frames (a multiple of " +
                        std::to_string(channels) + " values); got " + std::to_string(length));
  }
}

}  // namespace

// process(input: Int16Array | Float32Array, endOfInput: boolean) -> same type
Napi::Value ResamplerWrap::Process(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "Resampler.process";
  ResamplerCore& core = Core(env, where);
  SampleView in = GetSamples(info, 0, where, "input");
  const bool end = GetBool(info, 1, where, "endOfInput");
  const int channels = core.channels();
  CheckWholeFrames(env, where, "input", in.length, channels);
  const long capacity = core.MaxOutputFrames(static_cast<long>(in.length / channels));
  const size_t capacitySamples = static_cast<size_t>(capacity) * channels;
  if (in.isFloat()) {
    if (scratchF32_.size() < capacitySamples) scratchF32_.resize(capacitySamples);
    const long written = RunCore(env, where, core, in, scratchF32_.data(), capacity, end);
    Napi::Float32Array out = Napi::Float32Array::New(env, written * channels);
    if (written > 0) std::memcpy(out.Data(), scratchF32_.data(), written * channels * sizeof(float));
    return out;
  }
  if (scratchS16_.size() < capacitySamples) scratchS16_.resize(capacitySamples);
  const long written = RunCore(env, where, core, in, scratchS16_.data(), capacity, end);
  Napi::Int16Array out = Napi::Int16Array::New(env, written * channels);
  if (written > 0) std::memcpy(out.Data(), scratchS16_.data(), written * channels * sizeof(int16_t));
  return out;
}

// processInto(input, out, endOfInput, caller?) -> samples written (frames × channels)
Napi::Value ResamplerWrap::ProcessInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string caller = "Resampler.processInto";
  if (info.Length() > 3 && info[3].IsString()) caller = info[3].As<Napi::String>().Utf8Value();
  const char* where = caller.c_str();
  ResamplerCore& core = Core(env, where);
  SampleView in = GetSamples(info, 0, where, "input");
  SampleView out = GetSamples(info, 1, where, "out");
  const bool end = GetBool(info, 2, where, "endOfInput");
  const int channels = core.channels();
  if (in.type != out.type) {
    ThrowType(env, std::string(where) + ": out must be the same type as input (" +
                       (in.isFloat() ? "Float32Array" : "Int16Array") + ")");
  }
  CheckWholeFrames(env, where, "input", in.length, channels);
  const long needed = core.MaxOutputFrames(static_cast<long>(in.length / channels));
  const long capacity = static_cast<long>(out.length / channels);
  if (capacity < needed) {
    ThrowRange(env, std::string(where) + ": out must hold at least " +
                        std::to_string(needed * channels) +
                        " values for this input (see maxOutputLength()); got " +
                        std::to_string(out.length));
  }
  const long written = RunCore(env, where, core, in, out.data, capacity, end);
  return Napi::Number::New(env, static_cast<double>(written) * channels);
}

Napi::Value ResamplerWrap::MaxOutputSamples(const Napi::CallbackInfo& info) {
  const char* where = "Resampler.maxOutputSamples";
  ResamplerCore& core = Core(info.Env(), where);
  const int inputSamples = GetInt(info, 0, 0, 1 << 30, where, "inputSamples");
  const long frames = core.MaxOutputFrames(inputSamples / core.channels());
  return Napi::Number::New(info.Env(), static_cast<double>(frames) * core.channels());
}

Napi::Value ResamplerWrap::Reset(const Napi::CallbackInfo& info) {
  Core(info.Env(), "Resampler.reset").Reset();
  return info.Env().Undefined();
}

Napi::Value ResamplerWrap::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

}  // namespace voxrtc
