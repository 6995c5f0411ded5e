#!/usr/bin/env bash
# Instructions executed per batch-1 inference, counted under QEMU user-mode emulation by a TCG plugin
# (scripts/qemu-plugin/count.c; Debian's qemu-user loads plugins but ships no counting one), the same
# tool for both architectures: predict with 1 and with 11 images, one thread; (count(11) - count(1)) / 10
# is the cost of one image without start-up. Emulation gives instruction counts, not time.
# Usage: scripts/count-instructions.sh ARM64_BINARY X64_BINARY MODEL.bnm [IMAGES]
#   the binaries: boolnet-infer from scripts/publish-arm64.sh and from the x64 NativeAOT publish.
# Needs: apt-get install qemu-user gcc (and the arm64 C runtime, see scripts/publish-arm64.sh).
# qemu-x86_64 has no AVX-512 or AVX-VNNI, so the x64 binary runs its AVX2 paths there.
set -euo pipefail
arm64=$1 x64=$2 model=$3
images=${4:-/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -shared -fPIC -O2 -o "$work/libcount.so" "$(dirname "$0")/qemu-plugin/count.c"
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu DOTNET_EnableWriteXorExecute=0
# count EMULATOR [CPU] BINARY N: guest instructions of `predict --limit N`.
count() {
  "$@" 2>&1 >/dev/null | sed -n 's/^insns: //p'
}
run() { # run LABEL EMULATOR-ARGS... BINARY
  local label=$1; shift
  local one eleven
  one=$(count "$@" predict "$model" "$images" --limit 1 --threads 1)
  eleven=$(count "$@" predict "$model" "$images" --limit 11 --threads 1)
  printf '%-34s %12s per image\n' "$label" "$(( (eleven - one) / 10 ))"
}
run "arm64, -cpu max (SDOT)" qemu-aarch64 -cpu max -plugin "$work/libcount.so" "$arm64"
run "arm64, -cpu cortex-a57 (no SDOT)" qemu-aarch64 -cpu cortex-a57 -plugin "$work/libcount.so" "$arm64"
run "x64 (AVX2 paths under qemu)" qemu-x86_64 -cpu max -plugin "$work/libcount.so" "$x64"
