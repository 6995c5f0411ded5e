#!/usr/bin/env bash
# The test command (README, and .ci/run after its installs): the whole suite under the machine's ISA
# (or BOOLNET_ISA), then the ISA-dependent tests (NUnit category "Isa": kernels, operators, layers,
# models) under every other BOOLNET_ISA value this machine supports, so an AVX-512 machine also
# exercises the AVX2 and scalar paths, and on linux-arm64 under qemu (scripts/test-arm64.sh: the NEON
# paths). Ends with one line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

passed=0 failed=0 skipped=0 status=0
# Adds the counts of a `dotnet test` log to the totals; returns 1 when the log has no summary (build failure).
count() {
  local summary
  summary=$(grep -E '(Passed|Failed)!? +- +Failed: +[0-9]+, +Passed: +[0-9]+' "$1" | tail -n 1 || true)
  [ -n "$summary" ] || return 1
  failed=$((failed + $(echo "$summary" | sed -E 's/.*Failed: +([0-9]+).*/\1/')))
  passed=$((passed + $(echo "$summary" | sed -E 's/.*Passed: +([0-9]+).*/\1/')))
  skipped=$((skipped + $(echo "$summary" | sed -E 's/.*Skipped: +([0-9]+).*/\1/')))
}

log=$(mktemp)
set +e
# The whole suite:
dotnet test BoolNet.sln -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
built=yes
count "$log" || built=no

# The paths this machine supports, from the CPU's own flags (the same sets IsaSelection.IsSupported requires).
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2 || true)
has() { [[ " $flags " == *" $1 "* ]]; }
supported=(scalar)
has avx2 && supported+=(avx2)
has avx512f && has avx512bw && has avx512vbmi && supported+=(avx512)
# The run above used BOOLNET_ISA if set, else the best path; rerun the category under each other one.
default=$(echo "${BOOLNET_ISA:-${supported[-1]}}" | tr "[:upper:]" "[:lower:]" | tr -d "[:space:]")
reruns=()
if [ "$built" = yes ]; then
  for isa in "${supported[@]}"; do
    [ "$isa" = "$default" ] && continue
    reruns+=("$isa")
    echo "== ISA-dependent tests under BOOLNET_ISA=$isa"
    set +e
    BOOLNET_ISA=$isa dotnet test BoolNet.sln -c Release --no-build --filter "TestCategory=Isa" 2>&1 | tee "$log"
    rerun=${PIPESTATUS[0]}
    set -e
    count "$log" || rerun=1
    [ "$rerun" -eq 0 ] || status=$rerun
  done
fi

# The same category on linux-arm64 (the NEON paths) under qemu-aarch64, where it is installed (.ci/run
# installs it); its own line reads "arm64 (qemu): N passed, N failed, N skipped".
if [ "$built" = yes ] && { command -v qemu-aarch64-static || command -v qemu-aarch64; } >/dev/null; then
  set +e
  bash scripts/test-arm64.sh 2>&1 | tee "$log"
  arm64=${PIPESTATUS[0]}
  set -e
  line=$(grep -E '^arm64 \(qemu\): [0-9]+ passed' "$log" | tail -n 1 || true)
  if [ -n "$line" ]; then
    passed=$((passed + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
    failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
    skipped=$((skipped + $(echo "$line" | sed -E 's/.* ([0-9]+) skipped.*/\1/')))
    reruns+=("neon (qemu)")
  fi
  [ "$arm64" -eq 0 ] || status=$arm64
else
  echo "== arm64 tests skipped: no qemu-aarch64 (apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross)"
fi

echo "test: $((SECONDS - start)) s; full suite under ${default}, category Isa also under: ${reruns[*]:-none}"
# The plain closing line CI reads: "tests: N passed, N failed, N skipped" (all runs summed).
[ "$built" = yes ] && echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
