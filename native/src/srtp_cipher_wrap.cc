#include "srtp_cipher_wrap.h"

#include <string>

#include "args.h"

namespace voxrtc {

Napi::Function SrtpCipherWrap::Define(Napi::Env env) {
  return DefineClass(env, "SrtpCipher",
                     {
                         InstanceMethod<&SrtpCipherWrap::Protect>("protect"),
                         InstanceMethod<&SrtpCipherWrap::Unprotect>("unprotect"),
                         InstanceMethod<&SrtpCipherWrap::ProtectInto>("protectInto"),
                         InstanceMethod<&SrtpCipherWrap::UnprotectInto>("unprotectInto"),
                         InstanceMethod<&SrtpCipherWrap::Close>("close"),
                     });
}

namespace {

void CheckLength(Napi::Env env, const char* where, const char* name, const ByteView& bytes,
                 size_t expected) {
  if (bytes.length != expected) {
    ThrowRange(env, std::string(where) + ": " + name + " must be " + std::to_string(expected) +
                        " bytes; got " + std::to_string(bytes.length));
  }
}

}  // namespace

SrtpCipherWrap::SrtpCipherWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<SrtpCipherWrap>(info) {
  Napi::Env env = info.Env();
  const char* where = "new SrtpCipher";
  const int profile = GetInt(info, 0, 1, 7, where, "profile");
  if (!SrtpCipherCore::KnownProfile(profile)) {
    ThrowRange(env, std::string(where) +
                        ": profile must be 1 (AES128_CM_HMAC_SHA1_80) or 7 (AEAD_AES_128_GCM); got " +
                        std::to_string(profile));
  }
  const ByteView key = GetBytes(info, 1, where, "key");
  CheckLength(env, where, "key", key, SrtpCipherCore::kKeyLength);
  const ByteView salt = GetBytes(info, 2, where, "salt");
  CheckLength(env, where, "salt", salt, SrtpCipherCore::SaltLength(profile));
  const uint8_t* authKey = nullptr;
  if (profile == SrtpCipherCore::kAes128CmHmacSha1_80) {
    const ByteView auth = GetBytes(info, 3, where, "authKey");
    CheckLength(env, where, "authKey", auth, SrtpCipherCore::kAuthKeyLength);
    authKey = auth.data;
  }
  core_ = std::make_unique<SrtpCipherCore>(profile, key.data, salt.data, authKey);
  if (!core_->ok()) {
    core_.reset();
    throw Napi::Error::New(env, std::string(where) + ": OpenSSL could not set up the cipher");
  }
}

SrtpCipherCore& SrtpCipherWrap::Core(Napi::Env env, const char* where) {
  if (!core_) ThrowClosed(env, where, "SRTP cipher");
  return *core_;
}

Napi::Value SrtpCipherWrap::Protect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "SrtpCipher.protect";
  SrtpCipherCore& core = Core(env, where);
  const ByteView header = GetBytes(info, 0, where, "header");
  const ByteView payload = GetBytes(info, 1, where, "payload");
  const uint32_t ssrc = GetUint32(info, 2, where, "ssrc");
  const int sequence = GetInt(info, 3, 0, 65535, where, "sequence");
  const uint32_t roc = GetUint32(info, 4, where, "roc");
  if (header.length < 12) {
    ThrowRange(env, std::string(where) + ": header must be at least 12 bytes; got " +
                        std::to_string(header.length));
  }
  Napi::Buffer<uint8_t> out =
      Napi::Buffer<uint8_t>::New(env, header.length + payload.length + core.tagLength());
  if (!core.Protect(header.data, header.length, payload.data, payload.length, ssrc,
                    static_cast<uint16_t>(sequence), roc, out.Data())) {
    throw Napi::Error::New(env, std::string(where) + ": OpenSSL failed to encrypt the packet");
  }
  return out;
}

Napi::Value SrtpCipherWrap::Unprotect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "SrtpCipher.unprotect";
  SrtpCipherCore& core = Core(env, where);
  const ByteView packet = GetBytes(info, 0, where, "packet");
  const int headerLength = GetInt(info, 1, 12, 65535, where, "headerLength");
  const uint32_t ssrc = GetUint32(info, 2, where, "ssrc");
  const int sequence = GetInt(info, 3, 0, 65535, where, "sequence");
  const uint32_t roc = GetUint32(info, 4, where, "roc");
  const size_t minimum = static_cast<size_t>(headerLength) + core.tagLength();
  if (packet.length < minimum) return env.Null();  // too short to authenticate
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, packet.length - core.tagLength());
  if (!core.Unprotect(packet.data, packet.length, static_cast<size_t>(headerLength), ssrc,
                      static_cast<uint16_t>(sequence), roc, out.Data())) {
    return env.Null();
  }
  return out;
}

Napi::Value SrtpCipherWrap::ProtectInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "SrtpCipher.protectInto";
  SrtpCipherCore& core = Core(env, where);
  const ByteView header = GetBytes(info, 0, where, "header");
  const ByteView payload = GetBytes(info, 1, where, "payload");
  const uint32_t ssrc = GetUint32(info, 2, where, "ssrc");
  const int sequence = GetInt(info, 3, 0, 65535, where, "sequence");
  const uint32_t roc = GetUint32(info, 4, where, "roc");
  const ByteView out = GetBytes(info, 5, where, "out");
  if (header.length < 12) {
    ThrowRange(env, std::string(where) + ": header must be at least 12 bytes; got " +
                        std::to_string(header.length));
  }
  const size_t length = header.length + payload.length + core.tagLength();
  if (out.length < length) {
    ThrowRange(env, std::string(where) + ": out must hold at least " + std::to_string(length) +
                        " bytes (header, payload and tag); got " + std::to_string(out.length));
  }
  if (!core.Protect(header.data, header.length, payload.data, payload.length, ssrc,
                    static_cast<uint16_t>(sequence), roc, const_cast<uint8_t*>(out.data))) {
    throw Napi::Error::New(env, std::string(where) + ": OpenSSL failed to encrypt the packet");
  }
  return Napi::Number::New(env, static_cast<double>(length));
}

Napi::Value SrtpCipherWrap::UnprotectInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "SrtpCipher.unprotectInto";
  SrtpCipherCore& core = Core(env, where);
  const ByteView packet = GetBytes(info, 0, where, "packet");
  const int headerLength = GetInt(info, 1, 12, 65535, where, "headerLength");
  const uint32_t ssrc = GetUint32(info, 2, where, "ssrc");
  const int sequence = GetInt(info, 3, 0, 65535, where, "sequence");
  const uint32_t roc = GetUint32(info, 4, where, "roc");
  const ByteView out = GetBytes(info, 5, where, "out");
  const size_t minimum = static_cast<size_t>(headerLength) + core.tagLength();
  if (packet.length < minimum) return Napi::Number::New(env, -1);  // too short to authenticate
  const size_t length = packet.length - core.tagLength();
  if (out.length < length) {
    ThrowRange(env, std::string(where) + ": out must hold at least " + std::to_string(length) +
                        " bytes (the packet without its tag); got " + std::to_string(out.length));
  }
  if (!core.Unprotect(packet.data, packet.length, static_cast<size_t>(headerLength), ssrc,
                      static_cast<uint16_t>(sequence), roc, const_cast<uint8_t*>(out.data))) {
    return Napi::Number::New(env, -1);
  }
  return Napi::Number::New(env, static_cast<double>(length));
}

Napi::Value SrtpCipherWrap::Close(const Napi::CallbackInfo& info) {
  core_.reset();
  return info.Env().Undefined();
}

}  // namespace voxrtc
