#include "g711.h"

namespace voxrtc {

namespace {

constexpr int kUlawBias = 0x84;
constexpr int kUlawClip = 32635;

uint8_t LinearToUlaw(int16_t pcm) {
  int sample = pcm;
  const int sign = (sample >> 8) & 0x80;
  if (sign != 0) sample = -sample;
  if (sample > kUlawClip) sample = kUlawClip;
  sample += kUlawBias;
  int exponent = 7;
  for (int mask = 0x4000; (sample & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  const int mantissa = (sample >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

int16_t UlawToLinear(uint8_t code) {
  const int value = ~code & 0xFF;
  const int sign = value & 0x80;
  const int exponent = (value >> 4) & 0x07;
  const int mantissa = value & 0x0F;
  int sample = ((mantissa << 3) + kUlawBias) << exponent;
  sample -= kUlawBias;
  return static_cast<int16_t>(sign != 0 ? -sample : sample);
}

uint8_t LinearToAlaw(int16_t pcm) {
  int sample = pcm;
  int mask;
  if (sample >= 0) {
    mask = 0xD5;
  } else {
    mask = 0x55;
    sample = -sample - 1;
  }
  sample >>= 3;  // 13-bit magnitude
  int code;
  if (sample < 32) {
    code = sample >> 1;
  } else {
    int segment = 1;
    for (int v = sample >> 6; v != 0 && segment < 7; v >>= 1) ++segment;
    if (sample >= 4096) {
      code = 0x7F;
    } else {
      code = (segment << 4) | ((sample >> segment) & 0x0F);
    }
  }
  return static_cast<uint8_t>(code ^ mask);
}

int16_t AlawToLinear(uint8_t code) {
  const int value = code ^ 0x55;
  const int segment = (value >> 4) & 0x07;
  int magnitude = (value & 0x0F) << 4;
  if (segment == 0) {
    magnitude += 8;
  } else {
    magnitude += 0x108;
    magnitude <<= segment - 1;
  }
  return static_cast<int16_t>((value & 0x80) != 0 ? magnitude : -magnitude);
}

struct DecodeTables {
  int16_t ulaw[256];
  int16_t alaw[256];
  DecodeTables() {
    for (int i = 0; i < 256; ++i) {
      ulaw[i] = UlawToLinear(static_cast<uint8_t>(i));
      alaw[i] = AlawToLinear(static_cast<uint8_t>(i));
    }
  }
};

const DecodeTables& Tables() {
  static const DecodeTables tables;
  return tables;
}

}  // namespace

void UlawEncode(const int16_t* in, uint8_t* out, size_t count) {
  for (size_t i = 0; i < count; ++i) out[i] = LinearToUlaw(in[i]);
}

void UlawDecode(const uint8_t* in, int16_t* out, size_t count) {
  const int16_t* table = Tables().ulaw;
  for (size_t i = 0; i < count; ++i) out[i] = table[in[i]];
}

void AlawEncode(const int16_t* in, uint8_t* out, size_t count) {
  for (size_t i = 0; i < count; ++i) out[i] = LinearToAlaw(in[i]);
}

void AlawDecode(const uint8_t* in, int16_t* out, size_t count) {
  const int16_t* table = Tables().alaw;
  for (size_t i = 0; i < count; ++i) out[i] = table[in[i]];
}

}  // namespace voxrtc
