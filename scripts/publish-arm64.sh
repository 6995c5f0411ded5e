#!/usr/bin/env bash
# Builds the linux-arm64 NativeAOT inference binary, boolnet-infer, on an x64 (or arm64) Linux machine:
#   scripts/publish-arm64.sh OUTDIR
# writes OUTDIR/boolnet-infer, one self-contained file (needs glibc 2.36+ on the board, as Debian 12,
# Ubuntu 22.10+, Raspberry Pi OS bookworm). On x64 it installs Debian's cross toolchain when missing
# (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross; as root) and links with it: ILC compiles the code for
# arm64 itself, only the native link needs the cross linker. Copy the file to the board and run
# `boolnet-infer predict MODEL.bnm IMAGES` or `boolnet-infer bench MODEL.bnm` (README, "Deploy to an
# ARM64 board"). Check it here with scripts/test-arm64.sh's emulator: qemu-aarch64-static OUTDIR/boolnet-infer.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

link=()
if [ "$(uname -m)" != aarch64 ]; then
  if ! command -v aarch64-linux-gnu-gcc >/dev/null || [ ! -e /usr/aarch64-linux-gnu/lib/libc.so ]; then
    [ "$(id -u)" -eq 0 ] || { echo "run as root to install the cross toolchain, or: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross" >&2; exit 1; }
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  fi
  # The NativeAOT targets pass clang's --target=aarch64-linux-gnu to the linker; the GNU cross driver
  # already targets arm64 and refuses that option, so a wrapper drops it.
  tools=$(mktemp -d)
  trap 'rm -rf "$tools"' EXIT
  cat > "$tools/aarch64-gcc" <<'EOF'
#!/usr/bin/env bash
args=()
for arg in "$@"; do [[ "$arg" == --target=* ]] || args+=("$arg"); done
exec aarch64-linux-gnu-gcc "${args[@]}"
EOF
  chmod +x "$tools/aarch64-gcc"
  link=(-p:CppCompilerAndLinker="$tools/aarch64-gcc" -p:ObjCopyName=aarch64-linux-gnu-objcopy)
fi

dotnet publish BoolNet.Infer -c Release -r linux-arm64 -p:PublishAot=true "${link[@]}" -o "$out/publish" -nologo
cp "$out/publish/boolnet-infer" "$out/boolnet-infer"
rm -rf "$out/publish"
size=$(stat -c %s "$out/boolnet-infer")
echo "wrote $out/boolnet-infer: $(file -b "$out/boolnet-infer" 2>/dev/null | cut -d, -f1-2), $((size / 1024)) KiB"
