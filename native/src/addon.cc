// The one registration file: every class and function the addon exports.
// Context-aware (Napi::Addon): each Node environment, worker threads included,
// gets its own instance with its own class constructors.
#include <napi.h>
#include <opus.h>
#include <samplerate.h>

#include "convert_functions.h"
#include "datagram_channel_wrap.h"
#include "opus_decoder_wrap.h"
#include "opus_encoder_wrap.h"
#include "resampler_wrap.h"
#include "srtp_cipher_wrap.h"

namespace voxrtc {

class VoxrtcAddon : public Napi::Addon<VoxrtcAddon> {
 public:
  VoxrtcAddon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
                             InstanceValue("OpusEncoder", OpusEncoderWrap::Define(env)),
                             InstanceValue("OpusDecoder", OpusDecoderWrap::Define(env)),
                             InstanceValue("Resampler", ResamplerWrap::Define(env)),
                             InstanceValue("SrtpCipher", SrtpCipherWrap::Define(env)),
                             InstanceValue("DatagramChannel", DatagramChannelWrap::Define(env)),
                             InstanceValue("opusVersion", Napi::String::New(env, opus_get_version_string())),
                             InstanceValue("samplerateVersion", Napi::String::New(env, src_get_version())),
                         });
    RegisterConvertFunctions(env, exports);
  }
};

}  // namespace voxrtc

using voxrtc::VoxrtcAddon;
NODE_API_ADDON(VoxrtcAddon)
