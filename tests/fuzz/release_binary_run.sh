#!/usr/bin/env bash
# Issue 20, "a run of each kind through the release binary": feeds the `rooflab` binary (the build's own, or
# build/release/app/cli/rooflab) a few hundred inputs mutated from tests/fuzz/corpus by the suite's mutation driver
# (fuzz_driver.cpp, -write_mutations) and checks every run: exit code 0, 1 or 2 (no signal, no other code), no
# sanitizer report, no uncaught exception, no hang (10 s per run); every exit-2 message names the input file.
# Bounded: stops starting runs after BUDGET_S seconds (the inputs run so far are checked, at least MIN_RUNS of them).
#
# usage: release_binary_run.sh ROOFLAB FUZZ_TARGET_DIR SOURCE_DIR [PER_KIND=100] [BUDGET_S=60] [SEED=1]
#   FUZZ_TARGET_DIR: the folder of the rooflab_fuzz_<target> executables (build/<preset>/tests/fuzz)
set -uo pipefail

rooflab=${1:?rooflab binary}
fuzzdir=${2:?folder of the fuzz targets}
src=${3:?source folder}
per_kind=${4:-100}
budget_s=${5:-60}
seed=${6:-1}
min_runs=$((per_kind * 2))

work=$(mktemp -d "${TMPDIR:-/tmp}/rooflab-binary-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ROOFLAB_DATA_DIR="$src"

# kind | fuzz target (its corpus) | file suffix | the command, {} the input
kinds=(
    "cases|cases_line|.jsonl|predict --cases {} --threads 1"
    "platform|platform|.yaml|predict llm --platform {} --model llama-3.2-1b --no-ops"
    "model|model|.yaml|predict llm --model {} --no-ops"
    "scenario|request_yaml|.yaml|predict --scenario {} --no-ops"
)

start=$(date +%s)
runs=0
failures=0
declare -A codes
for spec in "${kinds[@]}"; do
    IFS='|' read -r kind target suffix cmd <<<"$spec"
    mkdir -p "$work/$kind"
    if ! "$fuzzdir/rooflab_fuzz_$target" -write_mutations="$work/$kind" -write_suffix="$suffix" -runs="$per_kind" \
        -seed="$seed" "$src/tests/fuzz/corpus/$target" >/dev/null; then
        echo "FAIL: rooflab_fuzz_$target could not write the mutated inputs" >&2
        exit 1
    fi
done
# Interleave the kinds so that a budget cut still runs each of them.
for ((i = 0; i < per_kind; i++)); do
    for spec in "${kinds[@]}"; do
        IFS='|' read -r kind target suffix cmd <<<"$spec"
        input=$(printf '%s/%s/mut-%s-%05d%s' "$work" "$kind" "$seed" "$i" "$suffix")
        [[ -f "$input" ]] || continue
        if (($(date +%s) - start >= budget_s)); then
            break 2
        fi
        read -r -a args <<<"${cmd//\{\}/$input}"
        timeout -s KILL 10 "$rooflab" "${args[@]}" >"$work/out" 2>"$work/err" </dev/null
        rc=$?
        runs=$((runs + 1))
        codes[$rc]=$((${codes[$rc]:-0} + 1))
        why=""
        if ((rc == 137)); then
            why="hang or signal (killed after 10 s, or SIGKILL)"
        elif ((rc > 2)); then
            why="exit code $rc (signal $((rc > 128 ? rc - 128 : 0)))"
        elif grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|terminate called' \
            "$work/err"; then
            why="sanitizer report or uncaught exception"
        elif ((rc == 2)) && [[ "$kind" != cases ]] && ! grep -qF "$(basename "$input")" "$work/err"; then
            why="exit 2 without naming the input file"
        fi
        if [[ -n "$why" ]]; then
            failures=$((failures + 1))
            keep="${ROOFLAB_FUZZ_ARTIFACTS:-$work}/binary-$kind-$(basename "$input")"
            [[ "$keep" == "$work"/* ]] || cp "$input" "$keep"
            echo "FAIL ($kind): $why: rooflab ${args[*]}" >&2
            head -c 600 "$work/err" >&2
            echo >&2
        fi
    done
done
elapsed=$(($(date +%s) - start))
summary=""
for rc in "${!codes[@]}"; do summary+=" exit $rc: ${codes[$rc]};"; done
echo "release-binary fuzz run: $runs mutated inputs (cases, platform, model, scenario; seed $seed) in ${elapsed} s;${summary} $failures failures"
if ((failures > 0)); then
    exit 1
fi
if ((runs < min_runs)); then
    echo "FAIL: only $runs runs within ${budget_s} s (at least $min_runs expected)" >&2
    exit 1
fi
exit 0
