// Argument checks shared by the N-API wrappers. The TypeScript layer has
// already validated everything with detailed messages; these checks are the
// cheap second line that keeps bad input from ever reaching a codec.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace voxrtc {

// A borrowed view of a JS typed array; valid only during the current call.
struct SampleView {
  napi_typedarray_type type;
  void* data;
  size_t length;  // in elements
  bool isFloat() const { return type == napi_float32_array; }
};

struct ByteView {
  const uint8_t* data;
  size_t length;
};

// "a Float64Array", "a string", "null", "undefined", ...
std::string Describe(const Napi::Value& value);

[[noreturn]] void ThrowType(Napi::Env env, const std::string& message);
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& message);

// Int16Array or Float32Array.
SampleView GetSamples(const Napi::CallbackInfo& info, size_t index, const char* where,
                      const char* name);
// Exactly the given typed array type.
SampleView GetTyped(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type,
                    const char* where, const char* name);
// Uint8Array (Buffer included).
ByteView GetBytes(const Napi::CallbackInfo& info, size_t index, const char* where,
                  const char* name);
// A finite integer in [min, max].
int GetInt(const Napi::CallbackInfo& info, size_t index, int min, int max, const char* where,
           const char* name);
// A finite integer from 0 to 2^32 - 1 (SSRCs, RTP counters).
uint32_t GetUint32(const Napi::CallbackInfo& info, size_t index, const char* where,
                   const char* name);
bool GetBool(const Napi::CallbackInfo& info, size_t index, const char* where, const char* name);

// An Error with code ERR_VOXRTC_CLOSED, thrown as a TypeError.
[[noreturn]] void ThrowClosed(Napi::Env env, const char* where, const char* what);

}  // namespace voxrtc
