#!/usr/bin/env bash
# The papers' experiments as far as this CPU and the data sets here allow, each an ordinary
# `indrnn train` run; their logs (config.json, metrics.jsonl, report.md and its charts, never
# checkpoints or weights) are copied to docs/reproduction/runs/<name>/, where docs/reproduction.md
# reads every number it quotes. Runs one after another on the default backend and threads; the
# adding T=5000 run's time is the claim of issue 16, so run this on an otherwise idle machine.
#
#   scripts/reproduce-cpu.sh [NAME...]      default: every run below, in this order
#   RUNS_DIR=runs/repro  where the full run directories go (checkpoints and weights stay there)
#   DATA=../shared/data  the data sets shipped beside the repo (subsets: see each run's notes)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS_DIR=${RUNS_DIR:-runs/repro}
DATA=${DATA:-../shared/data}
LOGS=docs/reproduction/runs
INDRNN=(node packages/cli/bin/indrnn.js)

# name | arguments of `indrnn train`
RUNS=(
  "adding-100|adding --seq-len 100 --preset quick"
  "adding-1000|adding --seq-len 1000 --preset quick"
  "adding-1000-lstm|adding --seq-len 1000 --preset quick --model lstm"
  "adding-5000|adding --seq-len 5000 --preset quick"
  "adding-5000-lstm|adding --seq-len 5000 --preset quick --model lstm --time-limit 20"
  "mnist|mnist --preset quick --data-dir $DATA/mnist"
  "pmnist|pmnist --preset quick --data-dir $DATA/mnist"
  "fashion-mnist|fashion-mnist --preset quick"
  "char-ptb|char-lm --preset quick --data-dir $DATA/ptb"
  "word-ptb|word-lm --preset quick --data-dir $DATA/ptb"
)
# pairs overlaid by `indrnn report --compare` (IndRNN against the LSTM baseline)
COMPARE=("adding-1000 adding-1000-lstm" "adding-5000 adding-5000-lstm")

wanted() { [ $# -eq 0 ] && return 0; local n=$1; shift; for w in "${SELECTED[@]}"; do [ "$w" = "$n" ] && return 0; done; return 1; }
SELECTED=("$@")

npm run -s build
"${INDRNN[@]}" info | tee /dev/stderr > /dev/null
mkdir -p "$RUNS_DIR" "$LOGS"
for entry in "${RUNS[@]}"; do
  name=${entry%%|*}
  args=${entry#*|}
  [ ${#SELECTED[@]} -eq 0 ] || wanted "$name" "${SELECTED[@]}" || continue
  echo "== $name: indrnn train $args"
  # shellcheck disable=SC2086  # the arguments are words
  "${INDRNN[@]}" train $args --out "$RUNS_DIR/$name" --force
  "${INDRNN[@]}" report "$RUNS_DIR/$name" > /dev/null
  rm -rf "${LOGS:?}/$name"
  mkdir -p "$LOGS/$name"
  cp "$RUNS_DIR/$name"/{config.json,metrics.jsonl,report.md} "$LOGS/$name/"
  cp "$RUNS_DIR/$name"/report-*.svg "$LOGS/$name/" 2>/dev/null || true
done
for pair in "${COMPARE[@]}"; do
  read -r a b <<< "$pair"
  [ -d "$RUNS_DIR/$a" ] && [ -d "$RUNS_DIR/$b" ] || continue
  out="$LOGS/compare-$a-vs-lstm"
  "${INDRNN[@]}" report --compare "$RUNS_DIR/$a" "$RUNS_DIR/$b" --out "$out"
done
echo "logs in $LOGS; docs/reproduction.md quotes them"
