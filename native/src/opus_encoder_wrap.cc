#include "opus_encoder_wrap.h"

#include <opus.h>

#include <cstring>
#include <string>

#include "args.h"
#include "opus_errors.h"

namespace voxrtc {

Napi::Function OpusEncoderWrap::Define(Napi::Env env) {
  return DefineClass(env, "OpusEncoder",
                     {
                         InstanceMethod<&OpusEncoderWrap::Encode>("encode"),
                         InstanceMethod<&OpusEncoderWrap::EncodeInto>("encodeInto"),
                         InstanceMethod<&OpusEncoderWrap::SetBitrate>("setBitrate"),
                         InstanceMethod<&OpusEncoderWrap::SetComplexity>("setComplexity"),
                         InstanceMethod<&OpusEncoderWrap::SetInbandFec>("setInbandFec"),
                         InstanceMethod<&OpusEncoderWrap::SetPacketLossPercent>(
                             "setPacketLossPercent"),
                         InstanceMethod<&OpusEncoderWrap::SetDtx>("setDtx"),
                         InstanceMethod<&OpusEncoderWrap::SetSignal>("setSignal"),
                         InstanceMethod<&OpusEncoderWrap::GetBitrate>("getBitrate"),
                         InstanceMethod<&OpusEncoderWrap::GetLookahead>("getLookahead"),
                         InstanceMethod<&OpusEncoderWrap::Reset>("reset"),
                         InstanceMethod<&OpusEncoderWrap::Close>("close"),
                     });
}

OpusEncoderWrap::OpusEncoderWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<OpusEncoderWrap>(info) {
  Napi::Env env = info.Env();
  const char* where = "new OpusEncoder";
  const int sampleRate = GetInt(info, 0, 8000, 48000, where, "sampleRate");
  if (sampleRate != 8000 && sampleRate != 12000 && sampleRate != 16000 && sampleRate != 24000 &&
      sampleRate != 48000) {
    ThrowRange(env, std::string(where) +
                        ": sampleRate must be 8000, 12000, 16000, 24000 or 48000; got " +
                        std::to_string(sampleRate));
  }
  const int channels = GetInt(info, 1, 1, 2, where, "channels");
  const int application = GetInt(info, 2, 0, 1 << 30, where, "application");
  if (application != OPUS_APPLICATION_VOIP && application != OPUS_APPLICATION_AUDIO &&
      application != OPUS_APPLICATION_RESTRICTED_LOWDELAY) {
    ThrowRange(env, std::string(where) + ": application must be 2048 (voip), 2049 (audio) or " +
                        "2051 (lowdelay); got " + std::to_string(application));
  }
  core_ = std::make_unique<OpusEncoderCore>(sampleRate, channels, application);
  if (core_->error() != OPUS_OK) {
    const int code = core_->error();
    core_.reset();
    ThrowOpusError(env, where, "could not create the encoder", code);
  }
  externalBytes_ = OpusEncoderCore::StateBytes(channels);
  Napi::MemoryManagement::AdjustExternalMemory(env, externalBytes_);
}

OpusEncoderWrap::~OpusEncoderWrap() { Release(); }

void OpusEncoderWrap::Release() {
  if (!core_) return;
  core_.reset();
  scratch_.reset();
  Napi::MemoryManagement::AdjustExternalMemory(Env(), -externalBytes_);
  externalBytes_ = 0;
}

OpusEncoderCore& OpusEncoderWrap::Core(Napi::Env env, const char* where) {
  if (!core_) ThrowClosed(env, where, "encoder");
  return *core_;
}

int OpusEncoderWrap::EncodeToScratch(const Napi::CallbackInfo& info, const char* where,
                                     uint8_t* out, int outBytes) {
  Napi::Env env = info.Env();
  OpusEncoderCore& core = Core(env, where);
  SampleView pcm = GetSamples(info, 0, where, "pcm");
  const int channels = core.channels();
  const size_t spc = pcm.length / channels;
  // Valid Opus frames: 2.5, 5, 10, 20, 40, 60 ms.
  const size_t unit = static_cast<size_t>(core.sampleRate()) / 400;  // 2.5 ms
  const bool valid = pcm.length % channels == 0 && spc % unit == 0 &&
                     (spc / unit == 1 || spc / unit == 2 || spc / unit == 4 || spc / unit == 8 ||
                      spc / unit == 16 || spc / unit == 24);
  if (!valid) {
    ThrowRange(env, std::string(where) + ": pcm must hold one Opus frame (2.5 to 60 ms) of " +
                        std::to_string(channels) + "-channel audio at " +
                        std::to_string(core.sampleRate()) + " Hz; got " +
                        std::to_string(pcm.length) + " values");
  }
  const int rc = pcm.isFloat()
                     ? core.EncodeFloat(static_cast<const float*>(pcm.data), static_cast<int>(spc),
                                        out, outBytes)
                     : core.Encode(static_cast<const int16_t*>(pcm.data), static_cast<int>(spc),
                                   out, outBytes);
  if (rc < 0) {
    if (rc == OPUS_BUFFER_TOO_SMALL) {
      ThrowRange(env, std::string(where) + ": out is too small for the encoded packet (" +
                          std::to_string(outBytes) + " bytes); use at least 4000 bytes");
    }
    ThrowOpusError(env, where, "encoding failed", rc);
  }
  return rc;
}

Napi::Value OpusEncoderWrap::Encode(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.encode";
  Core(info.Env(), where);
  if (!scratch_) scratch_ = std::make_unique<uint8_t[]>(kMaxOpusPacketBytes);
  const int bytes = EncodeToScratch(info, where, scratch_.get(), kMaxOpusPacketBytes);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
  std::memcpy(buffer.Data(), scratch_.get(), bytes);
  return Napi::Uint8Array::New(info.Env(), bytes, buffer, 0);
}

Napi::Value OpusEncoderWrap::EncodeInto(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.encodeInto";
  Core(info.Env(), where);
  ByteView out = GetBytes(info, 1, where, "out");
  if (out.length < kMinOpusOutBytes) {
    ThrowRange(info.Env(), std::string(where) + ": out must hold at least " +
                               std::to_string(kMinOpusOutBytes) +
                               " bytes (4000 always suffice); got " + std::to_string(out.length));
  }
  const int capacity = out.length > static_cast<size_t>(kMaxOpusPacketBytes)
                           ? kMaxOpusPacketBytes
                           : static_cast<int>(out.length);
  const int bytes = EncodeToScratch(info, where, const_cast<uint8_t*>(out.data), capacity);
  return Napi::Number::New(info.Env(), bytes);
}

namespace {

Napi::Value CheckCtl(Napi::Env env, const char* where, int rc) {
  if (rc != OPUS_OK) ThrowOpusError(env, where, "the setting was rejected", rc);
  return env.Undefined();
}

}  // namespace

Napi::Value OpusEncoderWrap::SetBitrate(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.setBitrate";
  OpusEncoderCore& core = Core(info.Env(), where);
  const int value = GetInt(info, 0, OPUS_AUTO, 512000, where, "bitrate");
  if (value != OPUS_AUTO && value != OPUS_BITRATE_MAX && value < 500) {
    ThrowRange(info.Env(), std::string(where) + ": bitrate must be 500 to 512000, -1000 (auto) or " +
                               "-1 (max); got " + std::to_string(value));
  }
  return CheckCtl(info.Env(), where, core.SetBitrate(value));
}

Napi::Value OpusEncoderWrap::SetComplexity(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.setComplexity";
  OpusEncoderCore& core = Core(info.Env(), where);
  const int value = GetInt(info, 0, 0, 10, where, "complexity");
  return CheckCtl(info.Env(), where, core.SetComplexity(value));
}

Napi::Value OpusEncoderWrap::SetInbandFec(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.setFec";
  OpusEncoderCore& core = Core(info.Env(), where);
  const bool value = GetBool(info, 0, where, "fec");
  return CheckCtl(info.Env(), where, core.SetInbandFec(value));
}

Napi::Value OpusEncoderWrap::SetPacketLossPercent(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.setPacketLossPercent";
  OpusEncoderCore& core = Core(info.Env(), where);
  const int value = GetInt(info, 0, 0, 100, where, "packetLossPercent");
  return CheckCtl(info.Env(), where, core.SetPacketLossPercent(value));
}

Napi::Value OpusEncoderWrap::SetDtx(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.setDtx";
  OpusEncoderCore& core = Core(info.Env(), where);
  const bool value = GetBool(info, 0, where, "dtx");
  return CheckCtl(info.Env(), where, core.SetDtx(value));
}

Napi::Value OpusEncoderWrap::SetSignal(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.setSignal";
  OpusEncoderCore& core = Core(info.Env(), where);
  const int value = GetInt(info, 0, -1000, 3002, where, "signal");
  if (value != OPUS_AUTO && value != OPUS_SIGNAL_VOICE && value != OPUS_SIGNAL_MUSIC) {
    ThrowRange(info.Env(), std::string(where) + ": signal must be -1000 (auto), 3001 (voice) or " +
                               "3002 (music); got " + std::to_string(value));
  }
  return CheckCtl(info.Env(), where, core.SetSignal(value));
}

Napi::Value OpusEncoderWrap::GetBitrate(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.bitrate";
  int value = 0;
  CheckCtl(info.Env(), where, Core(info.Env(), where).GetBitrate(&value));
  return Napi::Number::New(info.Env(), value);
}

Napi::Value OpusEncoderWrap::GetLookahead(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.lookahead";
  int value = 0;
  CheckCtl(info.Env(), where, Core(info.Env(), where).GetLookahead(&value));
  return Napi::Number::New(info.Env(), value);
}

Napi::Value OpusEncoderWrap::Reset(const Napi::CallbackInfo& info) {
  const char* where = "OpusEncoder.reset";
  return CheckCtl(info.Env(), where, Core(info.Env(), where).ResetState());
}

Napi::Value OpusEncoderWrap::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

}  // namespace voxrtc
