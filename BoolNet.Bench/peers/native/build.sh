#!/usr/bin/env bash
# Builds the native C++ peers of the C# AVX-512 GEMM (not part of the .NET build): ./build.sh -> ./gemm_native
set -euo pipefail
cd "$(dirname "$0")"
g++ -std=c++17 -O3 -march=native -Wall -Wno-uninitialized -Wno-maybe-uninitialized -o gemm_native gemm_native.cpp
g++ -std=c++17 -O2 -march=native -Wall -Wno-uninitialized -Wno-maybe-uninitialized -o op_throughput op_throughput.cpp
