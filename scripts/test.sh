#!/usr/bin/env bash
# The README's test command: set-up, then every test file under the node test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
TANGLENAS_APT_EXTRA="python3-torch dataset-fashion-mnist chromium ${TANGLENAS_APT_EXTRA:-}" bash scripts/setup.sh
mapfile -t files < <(find dist -name '*.test.js' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found under dist/" >&2; exit 1; fi
# Tests run mostly tiny tensors: one libtorch thread per test process, two test
# files at a time, uses 2 cores better than 2 OpenMP threads on one file
# (measured 16x faster for a tiny search on a busy machine). Override with
# TANGLENAS_THREADS.
export TANGLENAS_THREADS="${TANGLENAS_THREADS:-1}"
concurrency=()
node --help | grep -q -- '--test-concurrency' && concurrency=(--test-concurrency=2)
# TAP on stdout (the full record), then the skips with their reasons and one
# closing line "N passed, N failed, N skipped".
exec node --test "${concurrency[@]}" --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./scripts/summary-reporter.mjs --test-reporter-destination=stdout "$@" "${files[@]}"
