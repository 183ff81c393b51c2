// SRTP packet protection (RFC 3711, RFC 7714) for the two profiles WebRTC
// negotiates over DTLS: AEAD_AES_128_GCM and AES128_CM_HMAC_SHA1_80. Only
// the cryptographic transform of one RTP packet: the rollover counter and
// replay state stay with the caller. Over OpenSSL's EVP and HMAC interfaces;
// the addon uses the OpenSSL that Node.js itself carries and exports, so
// there is nothing more to install or bundle.
#pragma once

#include <cstddef>
#include <cstdint>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct hmac_ctx_st HMAC_CTX;

namespace voxrtc {

class SrtpCipherCore {
 public:
  // DTLS-SRTP protection profile numbers (RFC 5764, RFC 7714).
  static constexpr int kAes128CmHmacSha1_80 = 1;
  static constexpr int kAeadAes128Gcm = 7;

  static bool KnownProfile(int profile) {
    return profile == kAes128CmHmacSha1_80 || profile == kAeadAes128Gcm;
  }
  // Session salt length: 14 bytes (AES-CM) or 12 (GCM); the key is 16 bytes;
  // AES-CM's authentication key is 20 bytes.
  static size_t SaltLength(int profile) { return profile == kAeadAes128Gcm ? 12 : 14; }
  static constexpr size_t kKeyLength = 16;
  static constexpr size_t kAuthKeyLength = 20;

  // `authKey` is used by AES-CM only (may be null for GCM).
  SrtpCipherCore(int profile, const uint8_t* key, const uint8_t* salt, const uint8_t* authKey);
  ~SrtpCipherCore();
  SrtpCipherCore(const SrtpCipherCore&) = delete;
  SrtpCipherCore& operator=(const SrtpCipherCore&) = delete;

  // False when OpenSSL could not set up the contexts.
  bool ok() const { return ok_; }
  int profile() const { return profile_; }
  // Bytes the transform appends: 16 (GCM tag) or 10 (HMAC-SHA1-80).
  size_t tagLength() const { return profile_ == kAeadAes128Gcm ? 16 : 10; }

  // Writes header | encrypted payload | tag to `out` (headerLength +
  // payloadLength + tagLength() bytes). False on an OpenSSL failure.
  bool Protect(const uint8_t* header, size_t headerLength, const uint8_t* payload,
               size_t payloadLength, uint32_t ssrc, uint16_t sequence, uint32_t roc, uint8_t* out);

  // `packet` is header | encrypted payload | tag (length bytes, the header
  // `headerLength` of them). Checks the tag and writes header | payload to
  // `out` (length - tagLength() bytes). False when the packet does not
  // authenticate (or on an OpenSSL failure): `out` is then undefined.
  bool Unprotect(const uint8_t* packet, size_t length, size_t headerLength, uint32_t ssrc,
                 uint16_t sequence, uint32_t roc, uint8_t* out);

 private:
  void GcmIv(uint32_t ssrc, uint16_t sequence, uint32_t roc, uint8_t iv[12]) const;
  void CtrIv(uint32_t ssrc, uint16_t sequence, uint32_t roc, uint8_t iv[16]) const;
  bool Hmac80(const uint8_t* data, size_t length, uint32_t roc, uint8_t tag[20]);

  int profile_;
  uint8_t salt_[14] = {};
  EVP_CIPHER_CTX* encrypt_ = nullptr;
  EVP_CIPHER_CTX* decrypt_ = nullptr;
  HMAC_CTX* hmac_ = nullptr;
  bool ok_ = false;
};

}  // namespace voxrtc
