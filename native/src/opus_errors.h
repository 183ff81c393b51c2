#pragma once

#include <napi.h>

namespace voxrtc {

// Throws an Error whose message carries libopus's reason, with
// `code = 'ERR_VOXRTC_OPUS'` and `opusError` = the libopus error name.
[[noreturn]] void ThrowOpusError(Napi::Env env, const char* where, const char* what, int code);

}  // namespace voxrtc
