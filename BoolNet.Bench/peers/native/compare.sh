#!/usr/bin/env bash
# C# kernels (scalar, avx2, avx512) against the native C++ peers (gemm_native.cpp) in the same run and the
# same unit (cpu_gops = m*n*k / thread CPU seconds / 1e9, one op = one bit position of one output), single
# thread. ROUNDS rounds; in each, every shape runs the C# bench and the C++ binary one after the other
# (the order alternates between rounds), so load from other processes hits both alike. Prints the JSON
# lines to $OUT (default compare.jsonl next to this script) and a table of median cpu_gops and ratios.
# Usage: bash BoolNet.Bench/peers/native/compare.sh [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
rounds=${1:-5}
out=${OUT:-$here/compare.jsonl}
"$here/build.sh"
(cd "$root" && dotnet build BoolNet.Bench -c Release >/dev/null)
bench="dotnet $root/BoolNet.Bench/bin/Release/net10.0/BoolNet.Bench.dll"
: > "$out"
for round in $(seq "$rounds"); do
  for shape in "256 4096 64" "1024 1024 128"; do
    set -- $shape
    csharp() { $bench gemm --m "$1" --k "$2" --n "$3" --threads 1 --isa all --repetitions 9; }
    native() { "$here/gemm_native" --m "$1" --k "$2" --n "$3" --kernel all --repetitions 9; }
    if (( round % 2 )); then csharp "$@" >> "$out"; native "$@" >> "$out"; else native "$@" >> "$out"; csharp "$@" >> "$out"; fi
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
shapes = sorted({(r["m"], r["k"], r["n"]) for r in rows}, key=lambda s: -s[1])
isas = ["scalar", "avx2", "avx512", "cpp_vpopcntq", "cpp_vpermb", "cpp_vpermb_csa", "cpp_vpermb_csa_pairs"]
for shape in shapes:
    cpu = {i: statistics.median([r["cpu_gops"] for r in rows if (r["m"], r["k"], r["n"]) == shape and r["isa"] == i] or [0]) for i in isas}
    loads = [r["load_average"] for r in rows if (r["m"], r["k"], r["n"]) == shape]
    unverified = [r["isa"] for r in rows if r.get("verified") is False]
    print(f"shape m={shape[0]} k={shape[1]} n={shape[2]}, 1 thread, median cpu_gops over rounds, load average {min(loads):.1f}-{max(loads):.1f}")
    for i in isas: print(f"  {i:22s} {cpu[i]:8.1f}")
    for i in ["scalar", "avx2", "avx512"]:
        ratios = "  ".join(f"/{p[4:]} {cpu[i] / cpu[p]:.2f}" for p in isas[3:] if cpu[p])
        print(f"  C# {i:8s} {ratios}")
    if unverified: print("  NOT VERIFIED:", unverified)
PY
