#pragma once

#include <napi.h>

#include <memory>

#include "../core/opus_codec.h"

namespace voxrtc {

// JS class `OpusDecoder(sampleRate, channels)` over OpusDecoderCore.
class OpusDecoderWrap : public Napi::ObjectWrap<OpusDecoderWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit OpusDecoderWrap(const Napi::CallbackInfo& info);
  ~OpusDecoderWrap() override;

 private:
  OpusDecoderCore& Core(Napi::Env env, const char* where);
  void Release();

  Napi::Value Decode(const Napi::CallbackInfo& info);
  Napi::Value DecodeInto(const Napi::CallbackInfo& info);
  Napi::Value PacketSamples(const Napi::CallbackInfo& info);
  Napi::Value LastPacketDuration(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::unique_ptr<OpusDecoderCore> core_;
  int64_t externalBytes_ = 0;
};

}  // namespace voxrtc
