#include "opus_errors.h"

#include <opus.h>

#include <string>

namespace voxrtc {

namespace {

const char* OpusErrorName(int code) {
  switch (code) {
    case OPUS_BAD_ARG: return "OPUS_BAD_ARG";
    case OPUS_BUFFER_TOO_SMALL: return "OPUS_BUFFER_TOO_SMALL";
    case OPUS_INTERNAL_ERROR: return "OPUS_INTERNAL_ERROR";
    case OPUS_INVALID_PACKET: return "OPUS_INVALID_PACKET";
    case OPUS_UNIMPLEMENTED: return "OPUS_UNIMPLEMENTED";
    case OPUS_INVALID_STATE: return "OPUS_INVALID_STATE";
    case OPUS_ALLOC_FAIL: return "OPUS_ALLOC_FAIL";
    default: return "OPUS_UNKNOWN_ERROR";
  }
}

}  // namespace

void ThrowOpusError(Napi::Env env, const char* where, const char* what, int code) {
  Napi::Error error = Napi::Error::New(env, std::string(where) + ": " + what + ": libopus says \"" +
                                               opus_strerror(code) + "\" (" +
                                               OpusErrorName(code) + ")");
  error.Set("code", Napi::String::New(env, "ERR_VOXRTC_OPUS"));
  error.Set("opusError", Napi::String::New(env, OpusErrorName(code)));
  throw error;
}

}  // namespace voxrtc
