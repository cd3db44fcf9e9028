#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of every parser of untrusted input.
#
#   bash Tests/Fuzz/run.sh SECONDS [TARGET…]     e.g. bash Tests/Fuzz/run.sh 300 fuzz-epcis-event
#   FUZZ_CONFIGURATION=debug bash Tests/Fuzz/run.sh 10    (CI's short pass)
#
# Builds the targets of Tests/Fuzz/Package.swift with the fuzzer instrumentation (incrementally; a clean build with
# dependency checkout takes ~25 min on 2 cores), refreshes the seed corpora (Tests/Fuzz/seeds.sh), replays the committed
# regressions, then fuzzes each target for SECONDS seconds. One summary line per target; exits 1 if any target
# crashed (a regression that still fails counts). Git-ignored outputs:
#   Tests/Fuzz/corpus/<target>/    seeds and what fuzzing found interesting (kept between runs: coverage grows)
#   Tests/Fuzz/crashes/<target>/   crash-*, timeout-*, oom-* inputs, with the log of the run beside them
# A crash to keep: minimise it, then commit it under Tests/Fuzz/regressions/<target>/<short-name>:
#   Tests/Fuzz/.build/release/<target> -minimize_crash=1 -runs=20000 -exact_artifact_path=min <crash file>
# and reproduce any input with: Tests/Fuzz/.build/release/<target> <file>
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET…]" >&2
    exit 2
fi
seconds=$1
shift
fuzz=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cd "$fuzz/Sources" && ls -d fuzz-*)
fi

# Release by default: the parsers run as shipped, and ten times more inputs per second than debug. CI's short pass
# builds debug (FUZZ_CONFIGURATION=debug: a third of the build time). FUZZ_SCRATCH moves the build folder.
# `-parse-as-library`: each target's entry point is its `@main` type, which hands over to libFuzzer's driver.
configuration=${FUZZ_CONFIGURATION:-release}
flags=(-c "$configuration" --package-path "$fuzz" --scratch-path "${FUZZ_SCRATCH:-$fuzz/.build}"
    -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library)
# The main package is a path dependency: a build kept from before may not see source files added to it since, so
# the build plan is made afresh (it is quick; the compiled objects are kept).
scratch=${FUZZ_SCRATCH:-$fuzz/.build}
rm -f "$scratch/$configuration.yaml" "$scratch"/*/"$configuration"/description.json
swift build "${flags[@]}"
bin=$(swift build "${flags[@]}" --show-bin-path)
bash "$fuzz/seeds.sh" > /dev/null

# Input sizes: documents and records reach 64 KiB; everything else is a line or a few.
max_len() {
    case $1 in
        fuzz-json | fuzz-epcis-document | fuzz-epcis-xml | fuzz-ledger-record | fuzz-bundle | fuzz-capture-body)
            echo 65536
            ;;
        fuzz-epcis-event | fuzz-envelope | fuzz-timestamp) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

# Swift's runtime backtracer would take the trap of a failed check before libFuzzer's handler, which then never
# saves the input: leave crashes to libFuzzer (reproducing an input by hand shows the Swift backtrace).
export SWIFT_BACKTRACE=enable=no

failed=0
summary=()
for target in "${targets[@]}"; do
    corpus="$fuzz/corpus/$target"
    crashes="$fuzz/crashes/$target"
    regressions="$fuzz/regressions/$target"
    mkdir -p "$corpus" "$crashes"
    log="$crashes/run.log"

    # Regressions first: each must now pass (the target runs each file once).
    failing=0
    if [[ -d $regressions ]]; then
        for input in "$regressions"/*; do
            [[ -f $input ]] || continue
            if ! "$bin/$target" -rss_limit_mb=2048 -timeout=10 "$input" > "$crashes/regression.log" 2>&1; then
                echo "$target: regression $(basename "$input") still fails (log: $crashes/regression.log)" >&2
                failing=$((failing + 1))
            fi
        done
    fi

    # Fork mode (one job at a time): a crash is recorded and fuzzing goes on, so one bug does not hide the next.
    before=$(find "$crashes" -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' | wc -l)
    status=0
    "$bin/$target" "$corpus" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -max_len="$(max_len "$target")" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$crashes/" -print_final_stats=1 > "$log" 2>&1 || status=$?
    after=$(find "$crashes" -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' | wc -l)
    found=$((after - before))
    # The fork-mode progress lines read `#<executions>: cov: …`; the last one has the total.
    executions=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    if [[ $status -ne 0 && $found -eq 0 ]]; then
        echo "$target: libFuzzer exited with $status (log: $log)" >&2
        found=1
    fi
    if [[ $found -gt 0 || $failing -gt 0 ]]; then failed=1; fi
    summary+=("$(printf '%-22s %5ss %12s executions %3s crashes %3s failing regressions' \
        "$target" "$seconds" "${executions:-0}" "$found" "$failing")")
done

printf '%s\n' "${summary[@]}"
exit "$failed"
