#!/usr/bin/env bash
# Flash and RAM budgets of a board image.
#
#   scripts/size.sh rp2040
#
# RP2040 budgets: the image (boot2 + firmware) fits 1.5 MiB of flash; static
# RAM + the kernel heap + the main stack fit the 264 KiB of SRAM; and at least
# 100 KiB of heap is free after boot with `hello` loaded and the stacks of 4
# connection tasks allocated. `make test-rp2040-emu` (in `make test`)
# measures that last one on the real image running in rp2040js, also with
# `login` loaded (tests/rp2040.rs); this script
# computes where the heap goes, to see what to trim:
#
#   * measured: what loading `hello.js` costs the JS engine, from the QEMU
#     mps2-an385 board built for thumbv6m (the RP2040's ARMv6-M code, the
#     same engine and glue) booted with `selftest only=hello`; its JS task
#     stack is taken out and the RP2040's put in. Set ISERE_JS_HELLO_BYTES to
#     give that figure instead (no QEMU).
#   * computed from the constants of port/rp2040/ and its FreeRTOSConfig.h:
#     task stacks and control blocks, the kernel's queues, USB and socket
#     buffers, plus an allowance for the remaining small objects.
#
# The board logs the real figures at boot ("heap: ... free") on its console.
# Exits 1 if a budget is not met.
set -euo pipefail
cd "$(dirname "$0")/.."

board=${1:-}
if [ "$board" != rp2040 ]; then
  echo "usage: scripts/size.sh rp2040" >&2
  exit 2
fi

ELF=target/thumbv6m-none-eabi/firmware-small/isere-rp2040
MPS2_ELF=target/thumbv6m-none-eabi/firmware/isere-mps2-an385
MAIN=port/rp2040/main.rs
CONFIG_H=freertos-config/rp2040/FreeRTOSConfig.h

KiB=1024
FLASH_BUDGET=$((1536 * KiB))
SRAM=$((264 * KiB))
HEAP_FREE_BUDGET=$((100 * KiB))
# heap_4: an 8-byte header per block, sizes rounded up to 8.
block() { echo $(( ($1 + 7) / 8 * 8 + 8 )); }
# sizeof(StaticTask_t) and sizeof(StaticQueue_t) with this FreeRTOSConfig.h
# on ARMv6-M (checked with arm-none-eabi-gcc).
TCB=84
QUEUE=72
# The rest: NetStack<Ncm> (1288 B), the USB device and bus allocator
# (~1 KiB), 2 listening tcp::Socket (320 B each) in the socket set, the
# parsed configuration, the server's shared state, workers and spawn
# closures, the logger: ~4 KiB by the type sizes in the ELF's debug info,
# counted as 6 KiB.
OBJECTS=$((6 * KiB))

# A Rust `const NAME: usize = N;` of main.rs, or a `#define` of the config.
const() { sed -n "s/^const $1: [a-z0-9]* = \([0-9_]*\);.*/\1/p" "$2" | tr -d _; }
define() { sed -n "s/^#define $1 *( *( *[a-z ]* *) *\([0-9]*\) *).*/\1/p" "$CONFIG_H"; }
field() { sed -n "s/^ *$1: \([0-9_]*\),.*/\1/p" "$MAIN" | tr -d _; }
json() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" "$2"; }

# `make size-rp2040` builds both images first, with the RP2040's C flags.
for elf in "$ELF" "$MPS2_ELF"; do
  [ -f "$elf" ] || { echo "size.sh: no $elf; run make size-rp2040" >&2; exit 2; }
done

# --- Flash: every loadable byte, from boot2 at 0x10000000 to the end.
flash_end=0
while read -r paddr filesz; do
  end=$((paddr + filesz))
  if [ $((filesz)) -gt 0 ] && [ $((paddr)) -ge $((0x10000000)) ] &&
    [ $((paddr)) -lt $((0x11000000)) ] && [ "$end" -gt "$flash_end" ]; then
    flash_end=$end
  fi
done < <(arm-none-eabi-readelf -lW "$ELF" | awk '$1 == "LOAD" { print $4, $5 }')
flash=$((flash_end - 0x10000000))

# --- RAM: .data + .bss (which holds the heap) + the main stack (SRAM5).
read -r data bss < <(arm-none-eabi-size -A "$ELF" | awk '
  $1 == ".data" { d = $2 } $1 == ".bss" { b = $2 } END { print d + 0, b + 0 }')
heap=$((16#$(arm-none-eabi-nm -S "$ELF" | awk '$4 == "ucHeap" { print $2 }')))
stack_top=$((16#$(arm-none-eabi-nm "$ELF" | awk '$3 == "_stack_start" { print $1 }')))
msp=$((stack_top - 0x20041000))
statics=$((data + bss - heap))
ram=$((data + bss + msp))

# --- Heap after boot.
js_words=$(const JS_STACK_WORDS "$MAIN")
task_words=$(const TASK_STACK_WORDS "$MAIN")
net_words=$(const NET_STACK_WORDS "$MAIN")
conns=$(json max_connections port/rp2040/isere.json)
rx=$(field rx_buffer)
tx=$(field tx_buffer)
backlog=$(field backlog)
idle_words=$(define configMINIMAL_STACK_SIZE)
timer_words=$(sed -n 's/^#define configTIMER_TASK_STACK_DEPTH *\([0-9]*\).*/\1/p' "$CONFIG_H")
timer_queue=$(sed -n 's/^#define configTIMER_QUEUE_LENGTH *\([0-9]*\).*/\1/p' "$CONFIG_H")
for v in js_words task_words net_words conns rx tx backlog idle_words timer_words timer_queue; do
  [ -n "${!v}" ] || { echo "size.sh: cannot read $v from the sources" >&2; exit 2; }
done
task() { echo $(( $(block $(($1 * 4))) + $(block $TCB) )); }
queue() { block $((QUEUE + $1 * $2)); }

if [ -n "${ISERE_JS_HELLO_BYTES:-}" ]; then
  mps2_js=$ISERE_JS_HELLO_BYTES
  js_source="given (ISERE_JS_HELLO_BYTES)"
else
  log=$(QEMU_PORT=${QEMU_PORT:-18089} timeout 120 scripts/qemu.sh "$MPS2_ELF" selftest only=hello 2>&1 || true)
  mps2_js=$(sed -n 's/.*(\([0-9]*\) by the JS runtime and its functions).*/\1/p' <<<"$log")
  if [ -z "$mps2_js" ]; then
    echo "size.sh: no heap figure from the QEMU board:" >&2
    echo "$log" >&2
    exit 2
  fi
  js_source="measured on QEMU mps2-an385, thumbv6m (selftest only=hello)"
fi
# The mps2 board's JS task: its stack and TCB, and its queue of 16 + 2 x
# max_connections messages (handlers/isere.json), are not the engine's.
mps2_js_words=$(const JS_STACK_WORDS port/mps2-an385/main.rs)
mps2_conns=$(json max_connections handlers/isere.json)
mps2_task=$(task "$mps2_js_words")
mps2_queue=$(queue 4 $((16 + 2 * mps2_conns)))
engine=$((mps2_js - mps2_task - mps2_queue))

js_task=$(task "$js_words")
js_queue=$(queue 4 $((4 + 2 * conns)))
kernel=$(( $(task "$idle_words") + $(task "$timer_words") + $(queue 16 "$timer_queue") ))
net_task=$(task "$net_words")
accept_bytes=$(sed -n 's/^const ACCEPT_STACK_BYTES: usize = \([0-9_]*\);.*/\1/p' src/http/server/mod.rs | tr -d _)
[ -n "$accept_bytes" ] || { echo "size.sh: cannot read ACCEPT_STACK_BYTES from src/http/server/mod.rs" >&2; exit 2; }
server_tasks=$(( conns * $(task "$task_words") + $(task $((accept_bytes / 4))) ))
server_queues=$(( $(queue 4 "$conns") + conns * $(queue 4 2) ))
usb_buffers=$(( 2 * $(block 2048) + $(block 1514) + $(block 442) ))
sockets=$(( backlog * ( $(block "$rx") + $(block "$tx") ) ))
used=$((engine + js_task + js_queue + kernel + net_task + server_tasks + server_queues + usb_buffers + sockets + OBJECTS))
free=$((heap - used))

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
row() { printf '  %-60s %8d B %12s\n' "$1" "$2" "$(kib "$2")"; }
verdict() { if [ "$1" -le "$2" ]; then echo PASS; else echo FAIL; fi; }
status=0

echo "RP2040 image: $ELF"
echo
echo "Flash (budget 1.5 MiB):"
row "boot2 + vector table + .text + .rodata + .data (0x10000000..)" "$flash"
f=$(verdict "$flash" "$FLASH_BUDGET"); [ "$f" = PASS ] || status=1
echo "  -> $f: $flash <= $FLASH_BUDGET; 0x10180000.. is the reserved 512 KiB file system"
echo
echo "RAM (264 KiB SRAM = SRAM0-3 striped 256 KiB + SRAM4 4 KiB + SRAM5 4 KiB):"
row ".data + .bss outside the heap (static RAM)" "$statics"
row "FreeRTOS heap (configTOTAL_HEAP_SIZE)" "$heap"
row "main stack (SRAM5: interrupts, start-up)" "$msp"
row "total" "$ram"
r=$(verdict "$ram" "$SRAM"); [ "$r" = PASS ] || status=1
echo "  -> $r: $ram <= $SRAM"
echo
echo "Heap after boot, hello loaded, $conns connection slots:"
echo "  JS engine + hello, $js_source:"
row "  mps2-an385: JS runtime and its functions" "$mps2_js"
row "  - its JS task ($mps2_js_words-word stack + TCB) and queue" "$((mps2_task + mps2_queue))"
row "  = engine, contexts, glue and hello (board-independent)" "$engine"
echo "  computed from port/rp2040 and freertos-config/rp2040:"
row "JS engine + hello (above)" "$engine"
row "JS task: $js_words-word stack, TCB, queue" "$((js_task + js_queue))"
row "idle ($idle_words words) and timer ($timer_words words) tasks, timer queue" "$kernel"
row "network task: $net_words-word stack, TCB" "$net_task"
row "$conns connection tasks ($task_words-word stacks) + acceptor ($accept_bytes B), TCBs" "$server_tasks"
row "server queues (work, replies)" "$server_queues"
row "USB: 2 NTB buffers, frame copy, DHCP answer" "$usb_buffers"
row "$backlog listening sockets: $rx B rx + $tx B tx buffers" "$sockets"
row "other objects (allowance: NetStack, USB device, config...)" "$OBJECTS"
row "heap used after boot" "$used"
init_words=$(const INIT_STACK_WORDS "$MAIN")
row "(during boot also the init task: $init_words-word stack, TCB)" "$(task "$init_words")"
row "heap size" "$heap"
if [ "$free" -ge 0 ]; then
  row "heap free after boot" "$free"
else
  row "heap short by" "$((-free))"
fi
h=$(verdict "$HEAP_FREE_BUDGET" "$free"); [ "$h" = PASS ] || status=1
echo "  -> $h: free >= $HEAP_FREE_BUDGET (100 KiB)"
if [ "$h" = FAIL ]; then
  need=$((engine - (HEAP_FREE_BUDGET - free)))
  echo "     to pass, the JS engine + hello must cost at most $need B ($(kib "$need")), not $engine B"
fi
exit $status
