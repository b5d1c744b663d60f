#!/usr/bin/env bash
# The RP2040 firmware in an RP2040 model: rp2040js (npm, Wokwi's emulator)
# runs the image built with the `rp2040-emulator` feature while host.cjs plays
# the laptop at the other end of the USB cable (enumeration, DHCP, ARP, an
# HTTP request over TCP). Needs node and npm.
#
#   tests/rp2040-emu/run.sh
#
# The image differs from the board's in two ways only (Cargo.toml,
# `rp2040-emulator`): no boot-ROM routines (so no file system or OTA: the
# flash routines are the ROM's). `make test-rp2040-emu` builds it with the
# RP2040's C flags.
# It is built in target/rp2040-emu so the board's image stays as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "rp2040-emu: $tool not found (Debian: nodejs npm)" >&2; exit 1; }
done
[ -d tests/rp2040-emu/node_modules/rp2040js ] ||
  npm install --prefix tests/rp2040-emu --no-audit --no-fund --silent
cargo build --profile firmware-small --no-default-features --features rp2040-emulator \
  --target thumbv6m-none-eabi --bin isere-rp2040 --target-dir target/rp2040-emu
elf=target/rp2040-emu/thumbv6m-none-eabi/firmware-small/isere-rp2040
python3 scripts/uf2.py "$elf" "$elf.uf2"
node tests/rp2040-emu/host.cjs "$elf.uf2" "${RP2040_EMU_SECONDS:-120}"
