#pragma once

#include <napi.h>

#include <memory>

#include "../core/opus_codec.h"

namespace voxrtc {

// JS class `OpusEncoder(sampleRate, channels, application)` over OpusEncoderCore.
class OpusEncoderWrap : public Napi::ObjectWrap<OpusEncoderWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit OpusEncoderWrap(const Napi::CallbackInfo& info);
  ~OpusEncoderWrap() override;

 private:
  OpusEncoderCore& Core(Napi::Env env, const char* where);
  int EncodeToScratch(const Napi::CallbackInfo& info, const char* where, uint8_t* out,
                      int outBytes);
  void Release();

  Napi::Value Encode(const Napi::CallbackInfo& info);
  Napi::Value EncodeInto(const Napi::CallbackInfo& info);
  Napi::Value SetBitrate(const Napi::CallbackInfo& info);
  Napi::Value SetComplexity(const Napi::CallbackInfo& info);
  Napi::Value SetInbandFec(const Napi::CallbackInfo& info);
  Napi::Value SetPacketLossPercent(const Napi::CallbackInfo& info);
  Napi::Value SetDtx(const Napi::CallbackInfo& info);
  Napi::Value SetSignal(const Napi::CallbackInfo& info);
  Napi::Value GetBitrate(const Napi::CallbackInfo& info);
  Napi::Value GetLookahead(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::unique_ptr<OpusEncoderCore> core_;
  int64_t externalBytes_ = 0;
  std::unique_ptr<uint8_t[]> scratch_;  // for encode(); freed by close()
};

}  // namespace voxrtc
