#!/usr/bin/env bash
# Installs what building and testing Isère needs and a fresh Debian/Ubuntu
# machine lacks. Installs only what is missing; safe to run again.
#
#   the simulator:         a Rust toolchain and a C compiler
#   the QEMU board:        qemu-system-arm (mps2-an385)
#   the bare-metal checks: gcc-arm-none-eabi + newlib (QuickJS for Cortex-M),
#                          gcc-riscv64-unknown-elf + picolibc (QuickJS for the ESP32-C3),
#                          python3 (the RP2040's UF2 image),
#                          clang + libclang (bindgen), the thumbv6m/thumbv7m/riscv32imc Rust targets
#   the database tests:    PostgreSQL and Redis on loopback, started with their
#                          test roles by scripts/test-servers.sh
#   the RP2040 image run:  Node.js (rp2040js, tests/rp2040-emu)
#   the benchmark:         wrk, Node.js (only with --bench)
set -euo pipefail

want_bench=0
[ "${1:-}" = "--bench" ] && want_bench=1

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

packages=()
command -v cc >/dev/null 2>&1 || packages+=(gcc libc6-dev)
command -v make >/dev/null 2>&1 || packages+=(make)
# scripts/uf2.py (the RP2040's UF2 image).
command -v python3 >/dev/null 2>&1 || packages+=(python3)
command -v arm-none-eabi-gcc >/dev/null 2>&1 || packages+=(gcc-arm-none-eabi)
[ -e /usr/lib/arm-none-eabi/include/stdlib.h ] || packages+=(libnewlib-arm-none-eabi)
command -v qemu-system-arm >/dev/null 2>&1 || packages+=(qemu-system-arm)
command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 || packages+=(gcc-riscv64-unknown-elf)
[ -e /usr/lib/picolibc/riscv64-unknown-elf/include/stdlib.h ] || packages+=(picolibc-riscv64-unknown-elf)
# bindgen loads libclang and asks the clang driver for its built-in headers.
command -v clang >/dev/null 2>&1 || packages+=(clang libclang-dev)
command -v pg_ctlcluster >/dev/null 2>&1 || packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
if [ "$want_bench" = 1 ]; then
  command -v wrk >/dev/null 2>&1 || packages+=(wrk)
fi

if [ "${#packages[@]}" -gt 0 ]; then
  echo "deps: installing ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "deps: no Rust toolchain; install one from https://rustup.rs" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
  cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
  installed=$(rustup target list --installed)
  for t in thumbv7m-none-eabi thumbv6m-none-eabi riscv32imc-unknown-none-elf; do
    grep -qx "$t" <<<"$installed" || rustup target add "$t"
  done
fi

$sudo bash "$(dirname "$0")/test-servers.sh"
