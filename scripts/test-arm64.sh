#!/usr/bin/env bash
# The ISA-dependent tests (NUnit category "Isa") on linux-arm64, under qemu-aarch64 user-mode emulation:
# publishes BoolNet.Tests.Arm64 (the test sources as a self-contained program with NUnit's
# Microsoft.Testing.Platform runner) for linux-arm64 and runs it there, so every operator path is
# compared with the scalar reference on the NEON (AdvSimd) paths too; qemu's default CPU ("max")
# has the dot-product extension, so the int8 product runs SDOT (the SMULL path is tested by name).
# Needs qemu-user-static and the arm64 C runtime (.ci/run installs them):
#   apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross
# Usage: scripts/test-arm64.sh [FILTER]. Ends with one line: "arm64 (qemu): N passed, N failed, N skipped".
# The default FILTER is category Isa less its training-side fixtures (trainer, optimizers, fused
# step, paired-bits cache, conv backward and whole conv models: portable code on ARM64, and about half
# the emulated time), so CI stays short: 796 tests, about 2.5 min of CPU under emulation.
# "TestCategory=Isa" runs the whole category (935 tests, about 5 min of CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
training='FullyQualifiedName!~.Training.&FullyQualifiedName!~.Optimizers.&FullyQualifiedName!~FusedUpdate'
training+='&FullyQualifiedName!~PairedBitsCache&FullyQualifiedName!~ConvolutionalModelTests'
training+='&FullyQualifiedName!~ConvolutionBackward&FullyQualifiedName!~EveryWeightSignalPathHandsEachFinalRow'
filter=${1:-TestCategory=Isa&$training}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

emulator=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
if [ -z "$emulator" ] || [ ! -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]; then
  echo "arm64 (qemu): qemu-user-static or the arm64 C runtime is missing (see the top of $0)" >&2
  exit 1
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$SECONDS
dotnet publish BoolNet.Tests.Arm64 -c Release -r linux-arm64 --self-contained -o "$out/app" -v quiet -nologo \
  > "$out/publish.log" 2>&1 || { cat "$out/publish.log"; echo "arm64 (qemu): publish failed" >&2; exit 1; }
published=$((SECONDS - start))

# QEMU_LD_PREFIX: the arm64 loader and libraries of the cross packages. W^X off: .NET writes JIT code
# through a second, writable mapping of the executable pages, which qemu-user does not see as a code
# change, so it would run stale translations (random crashes and wrong results); invariant
# globalization: no arm64 ICU here.
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu DOTNET_EnableWriteXorExecute=0 \
  DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 TESTINGPLATFORM_TELEMETRY_OPTOUT=1
echo "== arm64 under $(basename "$emulator"): $("$emulator" "$out/app/BoolNet.Tests" dispatch)"
set +e
"$emulator" "$out/app/BoolNet.Tests" --filter "$filter" --no-ansi --progress off --results-directory "$out/results" \
  2>&1 | tee "$out/run.log"
status=${PIPESTATUS[0]}
set -e
value() { grep -E "^ +$1: +[0-9]+" "$out/run.log" | tail -n 1 | sed -E 's/[^0-9]*([0-9]+).*/\1/'; }
total=$(value total || true) failed=$(value failed || true) passed=$(value succeeded || true) skipped=$(value skipped || true)
echo "arm64: publish ${published} s, tests $((SECONDS - start - published)) s"
if [ -z "$total" ]; then
  echo "arm64 (qemu): the test run gave no summary (exit $status)" >&2
  exit 1
fi
echo "arm64 (qemu): ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
