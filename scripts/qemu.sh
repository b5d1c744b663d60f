#!/usr/bin/env bash
# Boots the mps2-an385 firmware in QEMU with the board's port 80 forwarded to
# 127.0.0.1:${QEMU_PORT:-18080}.
#
#   scripts/qemu.sh [ELF] [semihosting args...]
#
# The console (UART0) is this terminal; Ctrl-A X quits QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."
ELF=${1:-target/thumbv7m-none-eabi/firmware/isere-mps2-an385}
shift || true
PORT=${QEMU_PORT:-18080}
args="isere${*:+ $*}"
exec qemu-system-arm -M mps2-an385 -nographic \
    -nic "user,model=lan9118,hostfwd=tcp:127.0.0.1:${PORT}-:80" \
    -semihosting-config "enable=on,target=native,arg=${args// /,arg=}" \
    -kernel "$ELF"
