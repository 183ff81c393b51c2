#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "../core/resampler_core.h"

namespace voxrtc {

// JS class `Resampler(inputRate, outputRate, channels, quality)` over ResamplerCore.
class ResamplerWrap : public Napi::ObjectWrap<ResamplerWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ResamplerWrap(const Napi::CallbackInfo& info);
  ~ResamplerWrap() override;

 private:
  ResamplerCore& Core(Napi::Env env, const char* where);
  void Release();

  Napi::Value Process(const Napi::CallbackInfo& info);
  Napi::Value ProcessInto(const Napi::CallbackInfo& info);
  Napi::Value MaxOutputSamples(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::unique_ptr<ResamplerCore> core_;
  int64_t externalBytes_ = 0;
  std::vector<float> scratchF32_;
  std::vector<int16_t> scratchS16_;
};

}  // namespace voxrtc
