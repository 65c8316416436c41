{
  "variables": {
    "have_jack%": "<!(pkg-config --exists jack && echo 1 || echo 0)"
  },
  "targets": [
    {
      "target_name": "syfala_native",
      "sources": [
        "src/engine/duplex_bridge.cpp",
        "src/engine/engine.cpp",
        "src/engine/peer.cpp",
        "src/engine/udp_socket.cpp",
        "src/addon/addon.cc",
        "src/addon/convert.cpp",
        "src/addon/jack_duplex.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-fno-rtti"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-Wall",
        "-Wextra",
        "-O2",
        # GCC's -O2 vectorises only loops of a known length: the per-channel loops of the
        # resampler and meter have the stream's channel count (3/4 of the CPU at 64 channels,
        # bench/RESULTS.md). No reassociation either way, so results stay bit for bit.
        "-fvect-cost-model=cheap"
      ],
      "conditions": [
        [
          "have_jack==1",
          {
            "sources": [
              "src/jack/jack_device.cpp"
            ],
            "cflags_cc": [
              "<!@(pkg-config --cflags jack)"
            ],
            "libraries": [
              "<!@(pkg-config --libs jack)"
            ]
          },
          {
            "sources": [
              "src/jack/jack_missing.cpp"
            ]
          }
        ],
        [
          "OS==\"mac\"",
          {
            "sources": [
              "src/coreaudio/hal.cpp",
              "src/coreaudio/coreaudio_device.cpp"
            ],
            "xcode_settings": {
              "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
              "GCC_ENABLE_CPP_RTTI": "YES",
              "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
              "CLANG_CXX_LIBRARY": "libc++",
              "MACOSX_DEPLOYMENT_TARGET": "11.0",
              "OTHER_CPLUSPLUSFLAGS": [
                "-Wall",
                "-Wextra",
                "-O2"
              ]
            },
            "link_settings": {
              "libraries": [
                "-framework CoreAudio",
                "-framework AudioToolbox",
                "-framework CoreFoundation"
              ]
            }
          },
          {
            "sources": [
              "src/coreaudio/coreaudio_unsupported.cpp"
            ]
          }
        ]
      ]
    }
  ],
  "conditions": [
    [
      "have_jack==1",
      {
        "targets": [
          {
            "target_name": "jack_signal",
            "type": "executable",
            "sources": [
              "tools/jack_signal.cpp"
            ],
            "cflags_cc!": [
              "-fno-exceptions"
            ],
            "cflags_cc": [
              "-std=c++17",
              "-O2",
              "<!@(pkg-config --cflags jack)"
            ],
            "libraries": [
              "<!@(pkg-config --libs jack)",
              "-lpthread"
            ]
          }
        ]
      }
    ]
  ]
}
