#!/usr/bin/env bash
# Builds delimited-echo (Google's C++ delimited reader and writer over control.proto) into DIR.
# Needs protoc (Debian: protobuf-compiler) and libprotobuf-dev. Usage: build.sh DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto="$here/../../packages/proto"
out="$1"
mkdir -p "$out"
protoc --cpp_out="$out" -I "$proto" "$proto/control.proto"
g++ -std=c++17 -O0 -I "$out" -o "$out/delimited-echo" "$here/delimited-echo.cpp" "$out/control.pb.cc" -lprotobuf
