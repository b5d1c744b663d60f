#!/usr/bin/env bash
# What each optional feature costs in the RP2040 image's flash: the image
# built without it and with it, the difference in flash (text + data), the
# figures port/rp2040/README.md's flash plan comes from.
#
#   scripts/rp2040-flash-costs.sh      (~4 builds of the image, in target/rp2040-costs)
#
# Features: the PostgreSQL and Redis clients (`db-clients`), the `node:`
# modules (`node-modules`), QuickJS's parser (built without
# `-DQJS_DISABLE_PARSER`: functions could then arrive as source).
set -euo pipefail
cd "$(dirname "$0")/.."
cflags=$(sed -n 's/^CFLAGS_thumbv6m_none_eabi = "\(.*\)"/\1/p' .cargo/config.toml)
elf=target/rp2040-costs/thumbv6m-none-eabi/firmware-small/isere-rp2040

# flash_of FEATURES EXTRA_CFLAGS: the image's flash bytes.
flash_of() {
  CFLAGS_thumbv6m_none_eabi="$cflags $2 -DNDEBUG" cargo build --quiet --profile firmware-small \
    --no-default-features --features "$1" --target thumbv6m-none-eabi --bin isere-rp2040 \
    --target-dir target/rp2040-costs >&2
  arm-none-eabi-size "$elf" | awk 'NR == 2 { print $1 + $2 }'
}

base=$(flash_of board-rp2040 -DQJS_DISABLE_PARSER)
db=$(flash_of board-rp2040,db-clients -DQJS_DISABLE_PARSER)
node=$(flash_of board-rp2040,node-modules -DQJS_DISABLE_PARSER)
parser=$(flash_of board-rp2040 "")
printf '%-44s %10s %10s\n' "image" "flash (B)" "cost (B)"
printf '%-44s %10d %10s\n' "board-rp2040 (no parser)" "$base" "-"
printf '%-44s %10d %10d\n' "+ db-clients (PostgreSQL, Redis)" "$db" $((db - base))
printf '%-44s %10d %10d\n' "+ node-modules (node:*, Buffer, process)" "$node" $((node - base))
printf '%-44s %10d %10d\n' "+ the JavaScript parser" "$parser" $((parser - base))
