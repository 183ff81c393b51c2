#include "srtp_cipher.h"

// HMAC_CTX is deprecated in OpenSSL 3 in favour of EVP_MAC, but it is the
// interface every OpenSSL Node.js has carried (1.1.1 and 3.x) exports.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <cstring>

namespace voxrtc {

namespace {

void PutU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

bool FitsInt(size_t n) { return n <= static_cast<size_t>(INT_MAX); }

}  // namespace

SrtpCipherCore::SrtpCipherCore(int profile, const uint8_t* key, const uint8_t* salt,
                               const uint8_t* authKey)
    : profile_(profile) {
  if (!KnownProfile(profile)) return;
  std::memcpy(salt_, salt, SaltLength(profile));
  const EVP_CIPHER* cipher = profile == kAeadAes128Gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr();
  encrypt_ = EVP_CIPHER_CTX_new();
  decrypt_ = EVP_CIPHER_CTX_new();
  if (!encrypt_ || !decrypt_) return;
  // The key is set once; each packet sets only its IV.
  if (EVP_EncryptInit_ex(encrypt_, cipher, nullptr, key, nullptr) != 1) return;
  if (EVP_DecryptInit_ex(decrypt_, cipher, nullptr, key, nullptr) != 1) return;
  if (profile == kAes128CmHmacSha1_80) {
    hmac_ = HMAC_CTX_new();
    if (!hmac_ || authKey == nullptr) return;
    if (HMAC_Init_ex(hmac_, authKey, static_cast<int>(kAuthKeyLength), EVP_sha1(), nullptr) != 1) return;
  }
  ok_ = true;
}

SrtpCipherCore::~SrtpCipherCore() {
  EVP_CIPHER_CTX_free(encrypt_);
  EVP_CIPHER_CTX_free(decrypt_);
  HMAC_CTX_free(hmac_);
}

// RFC 7714 §8.1: (00 00 | SSRC | ROC | SEQ) XOR the 12-byte salt.
void SrtpCipherCore::GcmIv(uint32_t ssrc, uint16_t sequence, uint32_t roc, uint8_t iv[12]) const {
  iv[0] = 0;
  iv[1] = 0;
  PutU32(iv + 2, ssrc);
  PutU32(iv + 6, roc);
  iv[10] = static_cast<uint8_t>(sequence >> 8);
  iv[11] = static_cast<uint8_t>(sequence);
  for (int i = 0; i < 12; i++) iv[i] ^= salt_[i];
}

// RFC 3711 §4.1.1: (salt · 2^16) XOR (SSRC · 2^64) XOR (index · 2^16), index = ROC · 2^16 + SEQ.
void SrtpCipherCore::CtrIv(uint32_t ssrc, uint16_t sequence, uint32_t roc, uint8_t iv[16]) const {
  std::memcpy(iv, salt_, 14);
  iv[14] = 0;
  iv[15] = 0;
  uint8_t word[4];
  PutU32(word, ssrc);
  for (int i = 0; i < 4; i++) iv[4 + i] ^= word[i];
  PutU32(word, roc);
  for (int i = 0; i < 4; i++) iv[8 + i] ^= word[i];
  iv[12] ^= static_cast<uint8_t>(sequence >> 8);
  iv[13] ^= static_cast<uint8_t>(sequence);
}

// RFC 3711 §4.2: HMAC-SHA1 over the authenticated portion and the ROC.
bool SrtpCipherCore::Hmac80(const uint8_t* data, size_t length, uint32_t roc, uint8_t tag[20]) {
  uint8_t rocBytes[4];
  PutU32(rocBytes, roc);
  unsigned int tagLength = 0;
  return HMAC_Init_ex(hmac_, nullptr, 0, nullptr, nullptr) == 1 &&
         HMAC_Update(hmac_, data, length) == 1 && HMAC_Update(hmac_, rocBytes, 4) == 1 &&
         HMAC_Final(hmac_, tag, &tagLength) == 1 && tagLength == 20;
}

bool SrtpCipherCore::Protect(const uint8_t* header, size_t headerLength, const uint8_t* payload,
                             size_t payloadLength, uint32_t ssrc, uint16_t sequence, uint32_t roc,
                             uint8_t* out) {
  if (!ok_ || !FitsInt(headerLength) || !FitsInt(payloadLength)) return false;
  std::memcpy(out, header, headerLength);
  uint8_t* body = out + headerLength;
  int n = 0;
  if (profile_ == kAeadAes128Gcm) {
    uint8_t iv[12];
    GcmIv(ssrc, sequence, roc, iv);
    // The header is the additional authenticated data (RFC 7714 §8.2).
    if (EVP_EncryptInit_ex(encrypt_, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_EncryptUpdate(encrypt_, nullptr, &n, header, static_cast<int>(headerLength)) != 1 ||
        (payloadLength > 0 &&
         EVP_EncryptUpdate(encrypt_, body, &n, payload, static_cast<int>(payloadLength)) != 1) ||
        EVP_EncryptFinal_ex(encrypt_, body + payloadLength, &n) != 1) {
      return false;
    }
    return EVP_CIPHER_CTX_ctrl(encrypt_, EVP_CTRL_GCM_GET_TAG, 16, body + payloadLength) == 1;
  }
  uint8_t iv[16];
  CtrIv(ssrc, sequence, roc, iv);
  if (EVP_EncryptInit_ex(encrypt_, nullptr, nullptr, nullptr, iv) != 1 ||
      (payloadLength > 0 &&
       EVP_EncryptUpdate(encrypt_, body, &n, payload, static_cast<int>(payloadLength)) != 1)) {
    return false;
  }
  uint8_t tag[20];
  if (!Hmac80(out, headerLength + payloadLength, roc, tag)) return false;
  std::memcpy(body + payloadLength, tag, 10);
  return true;
}

bool SrtpCipherCore::Unprotect(const uint8_t* packet, size_t length, size_t headerLength,
                               uint32_t ssrc, uint16_t sequence, uint32_t roc, uint8_t* out) {
  const size_t tag = tagLength();
  if (!ok_ || length < headerLength + tag || !FitsInt(length)) return false;
  const size_t payloadLength = length - headerLength - tag;
  const uint8_t* body = packet + headerLength;
  uint8_t* plain = out + headerLength;
  int n = 0;
  if (profile_ == kAeadAes128Gcm) {
    uint8_t iv[12];
    GcmIv(ssrc, sequence, roc, iv);
    uint8_t expected[16];
    std::memcpy(expected, body + payloadLength, 16);
    if (EVP_DecryptInit_ex(decrypt_, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_DecryptUpdate(decrypt_, nullptr, &n, packet, static_cast<int>(headerLength)) != 1 ||
        (payloadLength > 0 &&
         EVP_DecryptUpdate(decrypt_, plain, &n, body, static_cast<int>(payloadLength)) != 1) ||
        EVP_CIPHER_CTX_ctrl(decrypt_, EVP_CTRL_GCM_SET_TAG, 16, expected) != 1 ||
        EVP_DecryptFinal_ex(decrypt_, plain + payloadLength, &n) != 1) {
      return false;  // (EVP_DecryptFinal_ex fails when the tag does not match)
    }
    std::memcpy(out, packet, headerLength);
    return true;
  }
  uint8_t mac[20];
  if (!Hmac80(packet, headerLength + payloadLength, roc, mac)) return false;
  if (CRYPTO_memcmp(mac, body + payloadLength, 10) != 0) return false;
  uint8_t iv[16];
  CtrIv(ssrc, sequence, roc, iv);
  if (EVP_DecryptInit_ex(decrypt_, nullptr, nullptr, nullptr, iv) != 1 ||
      (payloadLength > 0 &&
       EVP_DecryptUpdate(decrypt_, plain, &n, body, static_cast<int>(payloadLength)) != 1)) {
    return false;
  }
  std::memcpy(out, packet, headerLength);
  return true;
}

}  // namespace voxrtc
