{
  # node-gyp build of the voxrtc addon: the same sources, defines and link
  # libraries as CMakeLists.txt (which cmake-js uses for the normal build and
  # for scripts/prebuild.js). Keep the two "sources" lists in step with
  # VOXRTC_CORE_SOURCES + VOXRTC_ADDON_SOURCES; test/packaging.test.ts
  # compares them.
  #
  # package.json sets "gypfile": false, so npm never runs this on install: it
  # is for building from source by hand (node-gyp rebuild), with the
  # devDependency node-addon-api installed and pkg-config able to find the
  # opus and samplerate development packages.
  "targets": [
    {
      "target_name": "voxrtc",
      "sources": [
        # VOXRTC_CORE_SOURCES
        "native/core/g711.cc",
        "native/core/opus_codec.cc",
        "native/core/resampler_core.cc",
        "native/core/sample_convert.cc",
        # VOXRTC_ADDON_SOURCES
        "native/src/addon.cc",
        "native/src/args.cc",
        "native/src/convert_functions.cc",
        "native/src/datagram_channel_wrap.cc",
        "native/src/opus_decoder_wrap.cc",
        "native/src/opus_encoder_wrap.cc",
        "native/src/opus_errors.cc",
        "native/src/resampler_wrap.cc",
        "native/src/srtp_cipher_wrap.cc",
        "native/core/srtp_cipher.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(pkg-config --cflags-only-I opus samplerate | sed -e 's/-I//g')"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "libraries": [
        "<!@(pkg-config --libs opus samplerate)"
      ],
      "cflags": [
        "-O3",
        "-fvisibility=hidden",
        "<!@(pkg-config --cflags-only-other opus samplerate)"
      ],
      "cflags!": [ "-fno-exceptions" ],
      "cflags_cc": [ "-std=c++17", "-fexceptions", "-frtti" ],
      "cflags_cc!": [ "-fno-exceptions", "-fno-rtti" ],
      "conditions": [
        ["OS=='linux'", {
          # A prebuilt binary carries libopus and libsamplerate beside it; the
          # relative RUNPATH makes the loader look there first.
          "ldflags": [ "-Wl,-rpath,'$$ORIGIN'" ]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_ENABLE_CPP_RTTI": "YES",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "CLANG_CXX_LIBRARY": "libc++",
            "MACOSX_DEPLOYMENT_TARGET": "11.0",
            "OTHER_CFLAGS": [
              "<!@(pkg-config --cflags-only-other opus samplerate)"
            ],
            "OTHER_LDFLAGS": [ "-Wl,-rpath,@loader_path" ]
          }
        }]
      ]
    }
  ]
}
