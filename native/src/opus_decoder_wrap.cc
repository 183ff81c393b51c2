#include "opus_decoder_wrap.h"

#include <opus.h>

#include <string>

#include "args.h"
#include "opus_errors.h"

namespace voxrtc {

Napi::Function OpusDecoderWrap::Define(Napi::Env env) {
  return DefineClass(env, "OpusDecoder",
                     {
                         InstanceMethod<&OpusDecoderWrap::Decode>("decode"),
                         InstanceMethod<&OpusDecoderWrap::DecodeInto>("decodeInto"),
                         InstanceMethod<&OpusDecoderWrap::PacketSamples>("packetSamples"),
                         InstanceMethod<&OpusDecoderWrap::LastPacketDuration>(
                             "lastPacketDuration"),
                         InstanceMethod<&OpusDecoderWrap::Reset>("reset"),
                         InstanceMethod<&OpusDecoderWrap::Close>("close"),
                     });
}

OpusDecoderWrap::OpusDecoderWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<OpusDecoderWrap>(info) {
  Napi::Env env = info.Env();
  const char* where = "new OpusDecoder";
  const int sampleRate = GetInt(info, 0, 8000, 48000, where, "sampleRate");
  if (sampleRate != 8000 && sampleRate != 12000 && sampleRate != 16000 && sampleRate != 24000 &&
      sampleRate != 48000) {
    ThrowRange(env, std::string(where) +
                        ": sampleRate must be 8000, 12000, 16000, 24000 or 48000; got " +
                        std::to_string(sampleRate));
  }
  const int channels = GetInt(info, 1, 1, 2, where, "channels");
  core_ = std::make_unique<OpusDecoderCore>(sampleRate, channels);
  if (core_->error() != OPUS_OK) {
    const int code = core_->error();
    core_.reset();
    ThrowOpusError(env, where, "could not create the decoder", code);
  }
  externalBytes_ = OpusDecoderCore::StateBytes(channels);
  Napi::MemoryManagement::AdjustExternalMemory(env, externalBytes_);
}

OpusDecoderWrap::~OpusDecoderWrap() { Release(); }

void OpusDecoderWrap::Release() {
  if (!core_) return;
  core_.reset();
  Napi::MemoryManagement::AdjustExternalMemory(Env(), -externalBytes_);
  externalBytes_ = 0;
}

OpusDecoderCore& OpusDecoderWrap::Core(Napi::Env env, const char* where) {
  if (!core_) ThrowClosed(env, where, "decoder");
  return *core_;
}

namespace {

// Optional trailing string argument naming the public method in errors.
std::string CallerName(const Napi::CallbackInfo& info, size_t index, const char* fallback) {
  if (info.Length() > index && info[index].IsString()) return info[index].As<Napi::String>().Utf8Value();
  return fallback;
}

}  // namespace

// decode(packet: Uint8Array, asFloat: boolean, caller?: string) -> Int16Array | Float32Array
Napi::Value OpusDecoderWrap::Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string caller = CallerName(info, 2, "OpusDecoder.decode");
  const char* where = caller.c_str();
  OpusDecoderCore& core = Core(env, where);
  ByteView packet = GetBytes(info, 0, where, "packet");
  const bool asFloat = GetBool(info, 1, where, "asFloat");
  if (packet.length == 0) {
    ThrowRange(env, std::string(where) + ": packet is empty; use conceal() for a lost packet");
  }
  const int spc = core.PacketSamples(packet.data, static_cast<int>(packet.length));
  if (spc < 0) ThrowOpusError(env, where, "packet could not be decoded", spc);
  // A code-3 packet that declares zero frames is malformed (RFC 6716 3.2.5).
  if (spc == 0) ThrowOpusError(env, where, "packet could not be decoded", OPUS_INVALID_PACKET);
  const size_t count = static_cast<size_t>(spc) * core.channels();
  int rc;
  Napi::Value result;
  if (asFloat) {
    Napi::Float32Array out = Napi::Float32Array::New(env, count);
    rc = core.DecodeFloat(packet.data, static_cast<int>(packet.length), out.Data(), spc, false);
    result = out;
  } else {
    Napi::Int16Array out = Napi::Int16Array::New(env, count);
    rc = core.Decode(packet.data, static_cast<int>(packet.length), out.Data(), spc, false);
    result = out;
  }
  if (rc < 0) ThrowOpusError(env, where, "packet could not be decoded", rc);
  return result;
}

// decodeInto(packet: Uint8Array | null, out: Int16Array | Float32Array, fec: boolean,
//            caller?: string, packetName?: string) -> number
// With a packet and fec=false, out may be larger than the packet's frame.
// With packet=null (concealment) or fec=true, out.length / channels is the
// exact duration to produce: a multiple of 2.5 ms up to 120 ms.
// `caller` and `packetName` name the public method and argument in errors.
Napi::Value OpusDecoderWrap::DecodeInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string caller = CallerName(info, 3, "OpusDecoder.decodeInto");
  const std::string packetName = CallerName(info, 4, "packet");
  const char* where = caller.c_str();
  OpusDecoderCore& core = Core(env, where);
  ByteView packet{nullptr, 0};
  if (!info[0].IsNull()) packet = GetBytes(info, 0, where, packetName.c_str());
  SampleView out = GetSamples(info, 1, where, "out");
  const bool fec = GetBool(info, 2, where, "fec");
  const int channels = core.channels();
  if (out.length % channels != 0 || out.length == 0) {
    ThrowRange(env, std::string(where) + ": out must hold a whole number of " +
                        std::to_string(channels) + "-channel frames; got " +
                        std::to_string(out.length) + " values");
  }
  const int spc = static_cast<int>(out.length / channels);
  const int bytes = static_cast<int>(packet.length);
  if (bytes == 0 || fec) {
    const int unit = core.sampleRate() / 400;  // 2.5 ms
    if (spc % unit != 0 || spc > unit * 48) {
      ThrowRange(env, std::string(where) + ": out must hold a multiple of 2.5 ms (" +
                          std::to_string(unit) + " samples per channel) up to 120 ms for a lost " +
                          "frame; got " + std::to_string(spc) + " samples per channel");
    }
  } else {
    const int needed = core.PacketSamples(packet.data, bytes);
    if (needed > spc) {
      ThrowRange(env, std::string(where) + ": out must hold at least " + std::to_string(needed) +
                          " samples per channel (" + std::to_string(needed * channels) +
                          " values) for this packet; got " + std::to_string(spc));
    }
  }
  const int rc =
      out.isFloat()
          ? core.DecodeFloat(packet.data, bytes, static_cast<float*>(out.data), spc, fec)
          : core.Decode(packet.data, bytes, static_cast<int16_t*>(out.data), spc, fec);
  if (rc < 0) {
    const std::string what = bytes > 0 ? packetName + " could not be decoded" : "concealment failed";
    ThrowOpusError(env, where, what.c_str(), rc);
  }
  return Napi::Number::New(env, rc);
}

Napi::Value OpusDecoderWrap::PacketSamples(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "OpusDecoder.packetSamples";
  OpusDecoderCore& core = Core(env, where);
  ByteView packet = GetBytes(info, 0, where, "packet");
  const int rc = core.PacketSamples(packet.data, static_cast<int>(packet.length));
  if (rc < 0) ThrowOpusError(env, where, "packet is not a valid Opus packet", rc);
  if (rc == 0) ThrowOpusError(env, where, "packet is not a valid Opus packet", OPUS_INVALID_PACKET);
  return Napi::Number::New(env, rc);
}

Napi::Value OpusDecoderWrap::LastPacketDuration(const Napi::CallbackInfo& info) {
  const char* where = "OpusDecoder.lastPacketDuration";
  int value = 0;
  const int rc = Core(info.Env(), where).LastPacketDuration(&value);
  if (rc != OPUS_OK) ThrowOpusError(info.Env(), where, "query failed", rc);
  return Napi::Number::New(info.Env(), value);
}

Napi::Value OpusDecoderWrap::Reset(const Napi::CallbackInfo& info) {
  const char* where = "OpusDecoder.reset";
  const int rc = Core(info.Env(), where).ResetState();
  if (rc != OPUS_OK) ThrowOpusError(info.Env(), where, "reset failed", rc);
  return info.Env().Undefined();
}

Napi::Value OpusDecoderWrap::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

}  // namespace voxrtc
