#!/usr/bin/env bash
# The README's test command: set-up, then every test file under the node test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
TANGLENAS_APT_EXTRA="python3-torch dataset-fashion-mnist ${TANGLENAS_APT_EXTRA:-}" bash scripts/setup.sh
mapfile -t files < <(find dist -name '*.test.js' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found under dist/" >&2; exit 1; fi
exec node --test "$@" "${files[@]}"
