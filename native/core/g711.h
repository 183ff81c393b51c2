// G.711 µ-law and A-law (ITU-T G.711), independent of Node.
#pragma once

#include <cstddef>
#include <cstdint>

namespace voxrtc {

void UlawEncode(const int16_t* in, uint8_t* out, size_t count);
void UlawDecode(const uint8_t* in, int16_t* out, size_t count);
void AlawEncode(const int16_t* in, uint8_t* out, size_t count);
void AlawDecode(const uint8_t* in, int16_t* out, size_t count);

}  // namespace voxrtc
