# Isère: `make sim` runs the simulator, `make test` runs what CI runs.

CARGO ?= cargo
PORT ?= 8080
ARGS ?=

# Bare-metal targets the core must build for (C flags for QuickJS-NG on
# them: .cargo/config.toml).
BARE_TARGETS := thumbv7m-none-eabi thumbv6m-none-eabi riscv32imc-unknown-none-elf

MPS2_ELF := target/thumbv7m-none-eabi/firmware/isere-mps2-an385
MPS2_BUILD := $(CARGO) build --profile firmware --no-default-features --features board-mps2-an385 --target thumbv7m-none-eabi --bin isere-mps2-an385
RP2040_ELF := target/thumbv6m-none-eabi/firmware-small/isere-rp2040
# The RP2040 image has no JavaScript parser (QuickJS-NG's QJS_DISABLE_PARSER,
# ~69 KB of flash): its functions arrive as bytecode, built in or deployed.
# Its C is built as a release (NDEBUG: no assertions or debug dumps in
# QuickJS-NG and LittleFS); the QEMU board, CI's check of the engine, keeps
# them.
RP2040_CFLAGS := $(shell sed -n 's/^CFLAGS_thumbv6m_none_eabi = "\(.*\)"/\1/p' .cargo/config.toml) -DQJS_DISABLE_PARSER -DNDEBUG
RP2040_BUILD := CFLAGS_thumbv6m_none_eabi="$(RP2040_CFLAGS)" $(CARGO) build --profile firmware-small --no-default-features --features board-rp2040,db-clients --target thumbv6m-none-eabi --bin isere-rp2040
# The same QEMU board built for ARMv6-M (the kernel's CM0 port) with the
# RP2040's C flags: runs the RP2040's instruction set, kernel port and engine
# build, which nothing else here can (and shares its QuickJS-NG build).
MPS2_V6M_ELF := target/thumbv6m-none-eabi/firmware/isere-mps2-an385
MPS2_V6M_BUILD := CFLAGS_thumbv6m_none_eabi="$(RP2040_CFLAGS)" $(CARGO) build --profile firmware --no-default-features --features board-mps2-an385 --target thumbv6m-none-eabi --bin isere-mps2-an385

ESP32C3_ELF := target/riscv32imc-unknown-none-elf/firmware/isere-esp32c3
ESP32C3_ARGS := --profile firmware --no-default-features --features board-esp32c3 --target riscv32imc-unknown-none-elf --bin isere-esp32c3

.PHONY: fuzz fuzz-ci soak sim build test test-sim test-qemu unit check-core lint fmt bench deps clean qemu firmware size bench-qemu esp32c3 rp2040 size-rp2040 selftest-v6m test-rp2040-emu

## Build and run the simulator with the example functions on http://127.0.0.1:$(PORT)
sim:
	$(CARGO) build --release --bin isere-sim
	./target/release/isere-sim --port $(PORT) $(ARGS)

build:
	$(CARGO) build --release --bin isere-sim

## Everything CI checks: formatting, lints, the no_std core for the boards,
## the ESP32-C3 and RP2040 images (the RP2040's run in rp2040js against its
## heap budget), unit + integration tests on the simulator, the same HTTP
## suite on the QEMU board, a short pass of every fuzz target
test: deps lint check-core esp32c3 rp2040 test-rp2040-emu test-sim test-qemu fuzz-ci

test-sim:
	$(CARGO) test --all-targets
	$(CARGO) test --features net-smoltcp --test rp2040-dhcp

## The HTTP integration suite against the mps2-an385 firmware in QEMU (a board per test)
test-qemu: firmware
	ISERE_TEST_BOARD=mps2-an385 $(CARGO) test --test http --test platform --test web --test db-bindings --test fetch --test static_files --test kv --test login --test ota --test hostile -- --test-threads=4

unit:
	$(CARGO) test --lib

## The core (`src/`) must stay no_std: check it for the Cortex-M and RISC-V targets
check-core:
	$(foreach t,$(BARE_TARGETS),$(CARGO) check --lib --no-default-features --features ota --target $(t) &&) true

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --no-default-features --features board-mps2-an385 --target thumbv7m-none-eabi --bin isere-mps2-an385 -- -D warnings
	$(CARGO) clippy --profile firmware-small --no-default-features --features board-rp2040,db-clients --target thumbv6m-none-eabi --bin isere-rp2040 -- -D warnings

fmt:
	$(CARGO) fmt --all

## Build the Cortex-M3 firmware and boot it in QEMU: http://127.0.0.1:18080/hello
qemu: firmware
	scripts/qemu.sh $(MPS2_ELF)

firmware:
	$(MPS2_BUILD)

## Build the RP2040 firmware: the ELF and its UF2 for the RPI-RP2 drive (port/rp2040/README.md)
rp2040:
	$(RP2040_BUILD)
	python3 scripts/uf2.py $(RP2040_ELF) $(RP2040_ELF).uf2
	arm-none-eabi-size $(RP2040_ELF)
	@# Budget gate: the image fits 1.5 MiB of flash, the file system the
	@# other 512 KiB (port/rp2040/memory.x; the SRAM layout is enforced by
	@# the linker script; the heap budget: make size-rp2040).
	@arm-none-eabi-size $(RP2040_ELF) | awk 'NR == 2 { f = $$1 + $$2; if (f > 1572864) { print "rp2040: flash " f " B > 1.5 MiB budget"; exit 1 } print "rp2040: flash " f " B <= 1.5 MiB budget: PASS" }' 

## The RP2040 budgets: 1.5 MiB flash, 264 KiB SRAM, 120 KiB heap free after boot (runs QEMU)
size-rp2040: rp2040
	$(MPS2_V6M_BUILD)
	scripts/size.sh rp2040

## The RP2040 image on a model of the chip (rp2040js + our boot ROM, flash, SysTick): USB, DHCP, HTTP, hostile clients, deploys, resets, databases on the laptop (node)
test-rp2040-emu:
	CFLAGS_thumbv6m_none_eabi="$(RP2040_CFLAGS)" tests/rp2040-emu/run.sh

## One request through the JS task of the QEMU board built as ARMv6-M code (the RP2040's)
selftest-v6m:
	$(MPS2_V6M_BUILD)
	QEMU_PORT=18087 timeout 120 scripts/qemu.sh $(MPS2_V6M_ELF) selftest

## Build the ESP32-C3 firmware (lint-clean, fully linked) and print its size; flashing: port/esp32c3/README.md
esp32c3:
	$(CARGO) clippy $(ESP32C3_ARGS) -- -D warnings
	$(CARGO) build $(ESP32C3_ARGS)
	@echo "esp32c3 (riscv32imc, firmware profile):"; riscv64-unknown-elf-size $(ESP32C3_ELF)

## Flash and RAM of each build
size: build firmware esp32c3 rp2040
	@echo "isere-sim (x86_64, release):"; size target/release/isere-sim
	@echo "mps2-an385 (thumbv7m, firmware profile):"; arm-none-eabi-size $(MPS2_ELF)
	@echo "rp2040 (thumbv6m, firmware profile):"; arm-none-eabi-size $(RP2040_ELF)
	@echo "esp32c3 (riscv32imc, firmware profile):"; riscv64-unknown-elf-size $(ESP32C3_ELF)

## wrk against isere-sim and against Node.js serving the same function
bench:
	bash scripts/deps.sh --bench
	bash bench/bench.sh

## POST /login per user store (KV, PostgreSQL, Redis) on the release simulator
bench-login:
	bash bench/login.sh

## Instructions per request on the QEMU board (-icount shift=0)
bench-qemu: firmware
	python3 bench/qemu.py $(MPS2_ELF)

## Every fuzz target of fuzz/ for FUZZ_SECONDS (default 60) each; fails on a crash
fuzz:
	bash scripts/fuzz.sh

## A short pass of every fuzz target (10 s each), for CI
fuzz-ci:
	FUZZ_SECONDS=10 bash scripts/fuzz.sh

## 10 minutes (SOAK_SECONDS) of kept-alive load, connection churn and slow
## clients holding the pool on the release simulator: requests served,
## errors, heap and RSS at start and end (flat within 1 %)
soak: build
	python3 scripts/soak.py

deps:
	bash scripts/deps.sh

clean:
	$(CARGO) clean
