#!/usr/bin/env bash
# The fuzz targets of fuzz/ (cargo-fuzz, libFuzzer): installs what they need
# if missing (a nightly toolchain, else stable with RUSTC_BOOTSTRAP=1 for
# cargo-fuzz's -Z flags; cargo-fuzz from crates.io), builds them, and runs
# each for FUZZ_SECONDS (default 60) from its committed seeds in
# fuzz/corpus/<target> plus what earlier runs found (fuzz/target/corpus,
# not committed). Prints each target's executions; fails on a crash, whose
# input is left in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [target...]          (default: every target)
#   FUZZ_SECONDS=10 scripts/fuzz.sh      (make fuzz-ci)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${FUZZ_SECONDS:-60}
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(request_head chunked connection bundle config kv_key postgres redis url_headers)
fi

toolchain=()
sanitizer=()
if rustup run nightly rustc --version >/dev/null 2>&1 \
  || rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  # Stable ships no sanitizer runtimes: coverage-guided, without ASan.
  echo "fuzz: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1, without AddressSanitizer"
  export RUSTC_BOOTSTRAP=1
  sanitizer=(--sanitizer none)
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# cargo-fuzz builds one target or all of them.
if [ "${#targets[@]}" -eq 1 ]; then
  cargo "${toolchain[@]}" fuzz build -O "${sanitizer[@]}" "${targets[0]}"
else
  cargo "${toolchain[@]}" fuzz build -O "${sanitizer[@]}"
fi
bin=target/x86_64-unknown-linux-gnu/release

failed=()
total=0
for t in "${targets[@]}"; do
  flags=()
  case $t in
    # These start the FreeRTOS scheduler, whose POSIX port owns SIGALRM
    # (its tick) and SIGUSR1; their own deadline catches hangs. Their
    # device is meant to live as long as the process.
    connection | url_headers) flags=(-timeout=0 -handle_usr1=0 -detect_leaks=0) ;;
  esac
  mkdir -p "target/corpus/$t" "artifacts/$t"
  log="target/fuzz-$t.log"
  if "$bin/$t" -max_total_time="$seconds" -artifact_prefix="artifacts/$t/" \
    "${flags[@]}" "target/corpus/$t" "corpus/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    total=$((total + ${runs:-0}))
    printf 'fuzz: %-13s %10s executions in %ss, 0 crashes\n' "$t" "${runs:-?}" "$seconds"
  else
    printf 'fuzz: %-13s CRASHED (log: fuzz/%s, input: fuzz/artifacts/%s/)\n' "$t" "$log" "$t"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -5 || true
    failed+=("$t")
  fi
done
echo "fuzz: $total executions in all"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}" >&2
  exit 1
fi
