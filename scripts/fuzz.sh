#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) and runs each for a bounded
# time on a copy of its seed corpus (fuzz/corpus/<target>). Usage: scripts/fuzz.sh [SECONDS]
# (default 15 per target; `make fuzz FUZZ_SECONDS=600` for a long run). Exits non-zero on a
# crash, leak or sanitizer report; the reproducer is left in the work directory it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"

scripts/clang-deps.sh

out=build-fuzz
mkdir -p "$out"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc)
libs=(-lboost_json -lboost_url -lsodium -lcrypto)
common=(src/common/names.cpp src/auth/jwt.cpp)
build() {  # target sources...
  local target=$1; shift
  if [[ ! -x "$out/$target" || -n "$(find fuzz src -newer "$out/$target" -name '*.?pp' -print -quit)" ]]; then
    clang++-14 "${flags[@]}" -o "$out/$target" "$@" "${common[@]}" "${libs[@]}"
  fi
}
build decode_fuzz fuzz/decode_fuzz.cpp src/protocol/decode.cpp src/protocol/encode.cpp
build upgrade_fuzz fuzz/upgrade_fuzz.cpp src/net/upgrade_check.cpp
build frame_fuzz fuzz/frame_fuzz.cpp
build range_fuzz fuzz/range_fuzz.cpp src/net/byte_range.cpp

for target in decode upgrade frame range; do
  work=$(mktemp -d "/tmp/parley-fuzz-$target.XXXXXX")
  cp fuzz/corpus/$target/* "$work/"
  echo "fuzzing $target for ${seconds}s (corpus $work)"
  (cd "$work" && "$OLDPWD/$out/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
      "$work" 2>"$work/fuzz.log") || { tail -40 "$work/fuzz.log"; exit 1; }
  grep -E 'stat::number_of_executed_units|stat::new_units_added' "$work/fuzz.log" | sed "s/^/  $target /"
  rm -rf "$work"
done
