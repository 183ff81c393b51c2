#pragma once

#include <napi.h>

#include <memory>

#include "../core/srtp_cipher.h"

namespace voxrtc {

// JS class `SrtpCipher(profile, key, salt, authKey)` over SrtpCipherCore:
// `protect(header, payload, ssrc, sequence, roc)` → Buffer,
// `unprotect(packet, headerLength, ssrc, sequence, roc)` → Buffer or null
// (null: the packet does not authenticate), and the allocation-free forms
// `protectInto(header, payload, ssrc, sequence, roc, out)` → length and
// `unprotectInto(packet, headerLength, ssrc, sequence, roc, out)` → length
// or -1; `close()`.
class SrtpCipherWrap : public Napi::ObjectWrap<SrtpCipherWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit SrtpCipherWrap(const Napi::CallbackInfo& info);

 private:
  SrtpCipherCore& Core(Napi::Env env, const char* where);
  Napi::Value Protect(const Napi::CallbackInfo& info);
  Napi::Value Unprotect(const Napi::CallbackInfo& info);
  Napi::Value ProtectInto(const Napi::CallbackInfo& info);
  Napi::Value UnprotectInto(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::unique_ptr<SrtpCipherCore> core_;
};

}  // namespace voxrtc
