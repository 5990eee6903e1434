#!/usr/bin/env bash
# Fuzzes the model file loader (ModelFile.decode) with libFuzzer and AddressSanitizer; inputs that decode
# go on through validation, Executor.init (arena capped at 64 MiB) and one run through every exit
# (Fuzz/Common/ExerciseGraph.swift). UndefinedBehaviorSanitizer: swiftc has no -sanitize=undefined on
# Linux (Swift traps on overflow and out-of-bounds itself), so UBSan is applied to the C kernels through
# clang (-Xcc -fsanitize=undefined, no recovery), next to ASan and libFuzzer's coverage.
#
#   Scripts/fuzz-model-loader.sh [SECONDS]      (default 60)
#
# Builds the `edgewise-fuzz-model` target with -sanitize=fuzzer,address -DEDGEWISE_FUZZ into its own
# scratch path (.build-fuzz), writes seed model files into Fuzz/corpus-work/seeds, and fuzzes for
# SECONDS from those and the committed corpus Fuzz/corpus/model-file, growing Fuzz/corpus-work/corpus. Crash inputs land in Fuzz/corpus-work/artifacts/;
# replay one with a plain build: `swift run edgewise-fuzz-model Fuzz/corpus-work/artifacts/crash-…`.
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (e.g. FUZZ_FLAGS="-jobs=2 -workers=2").
# Links with lld: gold (Swift's default on Linux) stops with an internal error on this link.
set -euo pipefail

SECONDS_TO_RUN="${1:-60}"
cd "$(dirname "$0")/.."
SCRATCH=.build-fuzz
WORK=Fuzz/corpus-work

BUILD=(swift build -c release --scratch-path "$SCRATCH" --product edgewise-fuzz-model
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -DEDGEWISE_FUZZ -Xswiftc -use-ld=lld
       -Xcc -fsanitize=fuzzer-no-link,address,undefined -Xcc -fno-sanitize-recover=undefined)
"${BUILD[@]}"
BIN="$("${BUILD[@]}" --show-bin-path)/edgewise-fuzz-model"

mkdir -p "$WORK/seeds" "$WORK/corpus" "$WORK/artifacts"
EDGEWISE_FUZZ_WRITE_SEEDS="$WORK/seeds" "$BIN"

# The corpus folder comes first: libFuzzer adds new inputs to the first folder only.
# shellcheck disable=SC2086
exec "$BIN" "$WORK/corpus" "$WORK/seeds" Fuzz/corpus/model-file \
    -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -dict=Fuzz/model-loader.dict -print_final_stats=1 -artifact_prefix="$WORK/artifacts/" ${FUZZ_FLAGS:-}
