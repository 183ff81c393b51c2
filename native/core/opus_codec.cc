#include "opus_codec.h"

#include <opus.h>

namespace voxrtc {

std::string OpusErrorText(int code) { return opus_strerror(code); }

OpusEncoderCore::OpusEncoderCore(int sampleRate, int channels, int application)
    : sampleRate_(sampleRate), channels_(channels) {
  enc_ = opus_encoder_create(sampleRate, channels, application, &error_);
  if (error_ != OPUS_OK) enc_ = nullptr;
}

OpusEncoderCore::~OpusEncoderCore() {
  if (enc_ != nullptr) opus_encoder_destroy(enc_);
}

int OpusEncoderCore::Encode(const int16_t* pcm, int samplesPerChannel, uint8_t* out, int outBytes) {
  return opus_encode(enc_, pcm, samplesPerChannel, out, outBytes);
}

int OpusEncoderCore::EncodeFloat(const float* pcm, int samplesPerChannel, uint8_t* out,
                                 int outBytes) {
  return opus_encode_float(enc_, pcm, samplesPerChannel, out, outBytes);
}

int OpusEncoderCore::SetBitrate(int v) { return opus_encoder_ctl(enc_, OPUS_SET_BITRATE(v)); }
int OpusEncoderCore::SetComplexity(int v) { return opus_encoder_ctl(enc_, OPUS_SET_COMPLEXITY(v)); }
int OpusEncoderCore::SetInbandFec(bool v) {
  return opus_encoder_ctl(enc_, OPUS_SET_INBAND_FEC(v ? 1 : 0));
}
int OpusEncoderCore::SetPacketLossPercent(int v) {
  return opus_encoder_ctl(enc_, OPUS_SET_PACKET_LOSS_PERC(v));
}
int OpusEncoderCore::SetDtx(bool v) { return opus_encoder_ctl(enc_, OPUS_SET_DTX(v ? 1 : 0)); }
int OpusEncoderCore::SetSignal(int v) { return opus_encoder_ctl(enc_, OPUS_SET_SIGNAL(v)); }
int OpusEncoderCore::GetBitrate(int* v) {
  opus_int32 value = 0;
  int rc = opus_encoder_ctl(enc_, OPUS_GET_BITRATE(&value));
  *v = value;
  return rc;
}
int OpusEncoderCore::GetLookahead(int* v) {
  opus_int32 value = 0;
  int rc = opus_encoder_ctl(enc_, OPUS_GET_LOOKAHEAD(&value));
  *v = value;
  return rc;
}
int OpusEncoderCore::ResetState() { return opus_encoder_ctl(enc_, OPUS_RESET_STATE); }
int OpusEncoderCore::StateBytes(int channels) { return opus_encoder_get_size(channels); }

OpusDecoderCore::OpusDecoderCore(int sampleRate, int channels)
    : sampleRate_(sampleRate), channels_(channels) {
  dec_ = opus_decoder_create(sampleRate, channels, &error_);
  if (error_ != OPUS_OK) dec_ = nullptr;
}

OpusDecoderCore::~OpusDecoderCore() {
  if (dec_ != nullptr) opus_decoder_destroy(dec_);
}

int OpusDecoderCore::Decode(const uint8_t* packet, int bytes, int16_t* out, int samplesPerChannel,
                            bool fec) {
  return opus_decode(dec_, bytes > 0 ? packet : nullptr, bytes, out, samplesPerChannel,
                     fec ? 1 : 0);
}

int OpusDecoderCore::DecodeFloat(const uint8_t* packet, int bytes, float* out,
                                 int samplesPerChannel, bool fec) {
  return opus_decode_float(dec_, bytes > 0 ? packet : nullptr, bytes, out, samplesPerChannel,
                           fec ? 1 : 0);
}

int OpusDecoderCore::PacketSamples(const uint8_t* packet, int bytes) const {
  return opus_decoder_get_nb_samples(dec_, packet, bytes);
}

int OpusDecoderCore::LastPacketDuration(int* v) {
  opus_int32 value = 0;
  int rc = opus_decoder_ctl(dec_, OPUS_GET_LAST_PACKET_DURATION(&value));
  *v = value;
  return rc;
}

int OpusDecoderCore::ResetState() { return opus_decoder_ctl(dec_, OPUS_RESET_STATE); }
int OpusDecoderCore::StateBytes(int channels) { return opus_decoder_get_size(channels); }

}  // namespace voxrtc
