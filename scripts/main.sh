#!/usr/bin/env bash
# The README's main command: set-up, then a short TangleNAS search (DrNAS with
# weight superposition) on the toy cell space with Fashion-MNIST, then the
# architecture found, its accuracy in the toy benchmark (or, without the table,
# a short retraining's test accuracy) and where the run's files are.
# Options are passed to `tanglenas search` (e.g. --budget-minutes 3 --seed 1).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  cat <<'USAGE'
usage: bash scripts/main.sh [search options]

Runs `tanglenas search --preset toy-cell/main`: TangleNAS on the toy cell space with
Fashion-MNIST in a 5-minute budget (the epoch count is fitted to it after the first
epoch), then prints the architecture found and its benchmark accuracy. Without the
benchmark table (--benchmark-dir DIR or TANGLENAS_BENCH_DIR; default
../shared/data/toy-bench) it trains the architecture from scratch for 2 minutes and
prints that test accuracy instead.

Useful options: --budget-minutes M, --seed N, --threads N, --data-dir DIR,
--run-dir DIR, --quiet, --set KEY=VALUE. All options: node dist/src/cli/main.js search --help
USAGE
  exit 0
fi
# Debian's Fashion-MNIST too: the search reads it (no download needed).
TANGLENAS_APT_EXTRA="dataset-fashion-mnist ${TANGLENAS_APT_EXTRA:-}" bash scripts/setup.sh
run_dir="runs/main-$(date +%Y%m%d-%H%M%S)"
for a in "$@"; do [ "$a" = "--run-dir" ] && run_dir=""; done
if [ -n "$run_dir" ]; then set -- --run-dir "$run_dir" "$@"; fi
# Exit code 3: the budget ended the search before its planned epochs (a slower
# machine than the first epoch promised); its result is still the answer.
rc=0
node dist/src/cli/main.js search --preset toy-cell/main "$@" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then exit "$rc"; fi
# Where the run went (the last --run-dir wins, as in the CLI).
while [ $# -gt 0 ]; do [ "$1" = "--run-dir" ] && run_dir="$2"; shift; done
if node -e "process.exit(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).benchmark ? 0 : 1)" "$run_dir/architecture.json"; then
  exit 0
fi
echo
echo "no benchmark table: training the found architecture from scratch for 2 minutes instead"
exec node dist/src/cli/main.js train --from "$run_dir" --budget-minutes 2 --set budget_fit=true --set steps_per_epoch=40 --run-dir "$run_dir/retrain"
