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

namespace {

// protect() and protectInto(): header (at least 12 bytes), payload, ssrc, sequence, roc.
struct ProtectArgs {
  ByteView header;
  ByteView payload;
  uint32_t ssrc;
  uint16_t sequence;
  uint32_t roc;
};

ProtectArgs GetProtectArgs(const Napi::CallbackInfo& info, const char* where) {
  ProtectArgs args{GetBytes(info, 0, where, "header"), GetBytes(info, 1, where, "payload"),
                   GetUint32(info, 2, where, "ssrc"),
                   static_cast<uint16_t>(GetInt(info, 3, 0, 65535, where, "sequence")),
                   GetUint32(info, 4, where, "roc")};
  if (args.header.length < 12) {
    ThrowRange(info.Env(), std::string(where) + ": header must be at least 12 bytes; got " +
                               std::to_string(args.header.length));
  }
  return args;
}

// unprotect() and unprotectInto(): packet, headerLength, ssrc, sequence, roc.
struct UnprotectArgs {
  ByteView packet;
  size_t headerLength;
  uint32_t ssrc;
  uint16_t sequence;
  uint32_t roc;
};

UnprotectArgs GetUnprotectArgs(const Napi::CallbackInfo& info, const char* where) {
  return UnprotectArgs{GetBytes(info, 0, where, "packet"),
                       static_cast<size_t>(GetInt(info, 1, 12, 65535, where, "headerLength")),
                       GetUint32(info, 2, where, "ssrc"),
                       static_cast<uint16_t>(GetInt(info, 3, 0, 65535, where, "sequence")),
                       GetUint32(info, 4, where, "roc")};
}

void ProtectOrThrow(Napi::Env env, SrtpCipherCore& core, const ProtectArgs& a, uint8_t* out,
                    const char* where) {
  if (!core.Protect(a.header.data, a.header.length, a.payload.data, a.payload.length, a.ssrc,
                    a.sequence, a.roc, out)) {
    throw Napi::Error::New(env, std::string(where) + ": OpenSSL failed to encrypt the packet");
  }
}

// False when the packet does not authenticate (the caller has checked it is long enough to).
bool Unprotect(SrtpCipherCore& core, const UnprotectArgs& a, uint8_t* out) {
  return core.Unprotect(a.packet.data, a.packet.length, a.headerLength, a.ssrc, a.sequence, a.roc,
                        out);
}

void CheckOut(Napi::Env env, const char* where, const ByteView& out, size_t length,
              const char* holds) {
  if (out.length < length) {
    ThrowRange(env, std::string(where) + ": out must hold at least " + std::to_string(length) +
                        " bytes (" + holds + "); got " + std::to_string(out.length));
  }
}

}  // namespace

Napi::Value SrtpCipherWrap::Protect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "SrtpCipher.protect";
  SrtpCipherCore& core = Core(env, where);
  const ProtectArgs args = GetProtectArgs(info, where);
  Napi::Buffer<uint8_t> out =
      Napi::Buffer<uint8_t>::New(env, args.header.length + args.payload.length + core.tagLength());
  ProtectOrThrow(env, core, args, out.Data(), where);
  return out;
}

Napi::Value SrtpCipherWrap::Unprotect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "SrtpCipher.unprotect";
  SrtpCipherCore& core = Core(env, where);
  const UnprotectArgs args = GetUnprotectArgs(info, where);
  if (args.packet.length < args.headerLength + core.tagLength()) return env.Null();
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, args.packet.length - core.tagLength());
  return voxrtc::Unprotect(core, args, out.Data()) ? Napi::Value(out) : env.Null();
}

Napi::Value SrtpCipherWrap::ProtectInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "SrtpCipher.protectInto";
  SrtpCipherCore& core = Core(env, where);
  const ProtectArgs args = GetProtectArgs(info, where);
  const ByteView out = GetBytes(info, 5, where, "out");
  const size_t length = args.header.length + args.payload.length + core.tagLength();
  CheckOut(env, where, out, length, "header, payload and tag");
  ProtectOrThrow(env, core, args, const_cast<uint8_t*>(out.data), where);
  return Napi::Number::New(env, static_cast<double>(length));
}

Napi::Value SrtpCipherWrap::UnprotectInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* where = "SrtpCipher.unprotectInto";
  SrtpCipherCore& core = Core(env, where);
  const UnprotectArgs args = GetUnprotectArgs(info, where);
  const ByteView out = GetBytes(info, 5, where, "out");
  if (args.packet.length < args.headerLength + core.tagLength()) return Napi::Number::New(env, -1);
  const size_t length = args.packet.length - core.tagLength();
  CheckOut(env, where, out, length, "the packet without its tag");
  return Napi::Number::New(env, voxrtc::Unprotect(core, args, const_cast<uint8_t*>(out.data))
                                    ? static_cast<double>(length)
                                    : -1.0);
}

Napi::Value SrtpCipherWrap::Close(const Napi::CallbackInfo& info) {
  core_.reset();
  return info.Env().Undefined();
}

}  // namespace voxrtc
