#!/usr/bin/env bash
# Kernel figures for issue 2: every ISA path on the three reference shapes (single thread, the paths
# interleaved in one process so load from other processes hits them alike), then 1 vs 2 threads on
# 256x4096x64, each repeated ROUNDS times. Prints the JSON lines; summarise with the python below.
# Usage: bash BoolNet.Bench/kernel-figures.sh [ROUNDS] > figures.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
dotnet build BoolNet.Bench -c Release >/dev/null
bench="dotnet BoolNet.Bench/bin/Release/net10.0/BoolNet.Bench.dll"
for round in $(seq "$rounds"); do
  for shape in "256 4096 64" "1024 1024 128" "64 784 1"; do
    set -- $shape
    $bench gemm --m "$1" --k "$2" --n "$3" --threads 1 --isa all
  done
  $bench gemm --m 256 --k 4096 --n 64 --threads 1 --isa all --op and
  for threads in 1 2; do
    $bench gemm --m 256 --k 4096 --n 64 --threads "$threads" --isa all
  done
done
