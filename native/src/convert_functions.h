#pragma once

#include <napi.h>

namespace voxrtc {

// Adds the stateless conversion functions (sample format, channel layout,
// G.711) to `exports`.
void RegisterConvertFunctions(Napi::Env env, Napi::Object exports);

}  // namespace voxrtc
