#!/usr/bin/env bash
# The RP2040 firmware on a model of a Pico: rp2040js (npm, Wokwi's RP2040
# emulator) inside chip.cjs (our boot ROM, the QSPI flash and XIP) runs the
# board's own image while host.cjs plays the laptop at the other end of the
# USB cable (enumeration, DHCP, ARP, HTTP over TCP, a reset). chip-test.cjs
# first checks the chip model on its own. Needs node.
#
#   tests/rp2040-emu/run.sh
#
# The image is the board's (`board-rp2040`); `make test-rp2040-emu` builds
# it with the RP2040's C flags, as `make rp2040` does. It is built in
# target/rp2040-emu so that running this script by hand, with other C
# flags, leaves the board's build as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v node >/dev/null 2>&1 || { echo "rp2040-emu: node not found (Debian: nodejs)" >&2; exit 1; }
# rp2040js has no dependencies: its package from the npm registry, checked
# against the hash of the version package.json names (no npm needed).
pkg=tests/rp2040-emu/node_modules/rp2040js
if [ ! -f "$pkg/package.json" ]; then
  python3 - "$pkg" <<'PY'
import hashlib, io, sys, tarfile, urllib.request
url = "https://registry.npmjs.org/rp2040js/-/rp2040js-1.4.1.tgz"
sha256 = "83328017cf7e503477e8d218cb742d3e843782d795edd175a0b81346c194e56f"
data = urllib.request.urlopen(url, timeout=60).read()
if hashlib.sha256(data).hexdigest() != sha256:
    sys.exit(f"rp2040-emu: {url} does not have the expected SHA-256")
with tarfile.open(fileobj=io.BytesIO(data)) as t:
    for m in t.getmembers():
        name = m.name[len("package/"):]
        if (not m.name.startswith("package/") or not (m.isfile() or m.isdir())
                or name.startswith("/") or ".." in name.split("/")):
            sys.exit(f"rp2040-emu: unexpected entry {m.name} in the package")
        m.name = name
    t.extractall(sys.argv[1])
PY
fi
node tests/rp2040-emu/chip-test.cjs
# Provisioned with the test keys of tests/rp2040-emu/keys (test-only keys:
# never trust them on a device), so that the tests can deploy to it.
ISERE_BOARD_CONFIG=tests/rp2040-emu/isere.json \
cargo build --profile firmware-small --no-default-features --features board-rp2040,db-clients \
  --target thumbv6m-none-eabi --bin isere-rp2040 --target-dir target/rp2040-emu
elf=target/rp2040-emu/thumbv6m-none-eabi/firmware-small/isere-rp2040
python3 scripts/uf2.py "$elf" "$elf.uf2"
# The SysTick and WFI model the host runs the image with (sleep.cjs).
node tests/rp2040-emu/sleep-check.cjs
node tests/rp2040-emu/host.cjs "$elf.uf2" "${RP2040_EMU_SECONDS:-120}"
# The integration tests on the image, through the laptop of
# tests/support/rp2040.rs (node for the board, smoltcp for the laptop).
# (`ISERE_TEST_BOARD=rp2040 cargo test --test login` runs the login suite
# there: it does not fit the board's heap yet.)
cargo test --test rp2040 -- --nocapture --test-threads 2
