#!/usr/bin/env bash
# The papers' experiments at full scale in ONE device call (about 8 minutes), beside run.sh and
# sharing its preparation (bench/gpu/prepare.sh, then carry [".gpu"]):
#   1. adding T=1000 and T=5000, the paper preset (60K steps, lr /10 every 20K, batch 32): the step
#      where the validation MSE first falls below 0.01, and the final test MSE;
#   2. sequential Fashion-MNIST (T=784), the paper preset for pixel MNIST (6x128, BN, dropout 0.1)
#      on the full 60K/10K set carried in .gpu/fashion-mnist, for as many epochs as the budget allows;
#   3. the LM-sized step (6x2000, T=50, B=128, input 600) with frame-wise and sequence-wise BN,
#      timed against ../shared/baselines/torch_rnn_step.py --device cuda (sequence-wise BN).
# Each run is an ordinary `indrnn train` run directory under $OUT (metrics.jsonl, config.json,
# report.md); summary.jsonl and table.md gather the figures, with the device's name.
# The budget of each phase is printed first, progress every PROGRESS_S seconds, and every run has a
# --time-limit from its budget, so the whole call stays inside BUDGET_S.
#
#   BUDGET_S=480       the whole call's budget in seconds (phases get fixed shares of it)
#   ONLY="adding-1000 adding-5000 fashion lm"   the phases to run
#   DRY=1              a dry run here on the CUDA emulator with tiny sizes (npm test runs it;
#                      needs INDRNN_CUDA_ADDON, the emulated addon, and FASHION_DIR, a tiny set)
#   PROGRESS_S=20      seconds between progress lines
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/indrnn-repro}
BUDGET_S=${BUDGET_S:-480}
DRY=${DRY:-0}
PROGRESS_S=${PROGRESS_S:-20}
ONLY=${ONLY:-"adding-1000 adding-5000 fashion lm"}
FASHION_DIR=${FASHION_DIR:-.gpu/fashion-mnist}
mkdir -p "$OUT"
source bench/gpu/setup.sh

# shares of the budget, in percent: setup 8, adding-1000 15, adding-5000 38, fashion 27, LM 8, reports 4
share() { echo $(( BUDGET_S * $1 / 100 )); }
declare -A BUDGET=(
  [setup]=$(share 8) [adding-1000]=$(share 15) [adding-5000]=$(share 38)
  [fashion]=$(share 27) [lm]=$(share 8) [reports]=$(share 4)
)
wants() { [[ " $ONLY " == *" $1 "* ]]; }

phase "budget: ${BUDGET_S} s in all$([ "$DRY" = 1 ] && echo ', DRY RUN on the CUDA emulator, tiny sizes')"
for p in setup adding-1000 adding-5000 fashion lm reports; do printf '  %-12s %4d s\n' "$p" "${BUDGET[$p]}"; done

phase "machine"
if [ "$DRY" = 1 ]; then DEVICE="CUDA emulator (dry run)"; else
  DEVICE=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || echo unknown)
fi
echo "device: $DEVICE"

phase "setup: node, compiled JS, one nvcc call"
unpack_node
restore_dist
build_addon
INDRNN() { $NODE packages/cli/bin/indrnn.js "$@"; }

# Sizes: the paper's, or tiny ones for the dry run (the same commands, flags appended last).
if [ "$DRY" = 1 ]; then
  # every flag after the preset's is the dry run's: a few steps of tiny models, the same code paths
  ADDING_DRY=(--seq-len 20 --steps 6 --decay-every 4 --eval-every 3 --eval-size 4 --batch-size 4 --hidden 8 --checkpoint-every 3)
  FASHION_DRY=(--layers 2 --hidden 8 --batch-size 8 --epochs 1 --eval-every 1 --checkpoint-every 0)
  LM_SHAPE=(--layers 2 --T 5 --B 4 --hidden 16 --input 8 --steps 1)
  LM_WARMUP=1
else
  ADDING_DRY=()
  LM_WARMUP=3
  FASHION_DRY=()
  LM_SHAPE=(--layers 6 --T 50 --B 128 --hidden 2000 --input 600 --steps 20)
fi

# Prints the newest step (and validation metric) of a run every PROGRESS_S seconds until killed.
watch_progress() {
  local name=$1 dir=$2
  while sleep "$PROGRESS_S"; do
    $NODE bench/gpu/repro-summary.mjs --progress "$name" "$dir" || true
  done
}

# One `indrnn train` run inside its budget: the time limit leaves room for start-up and the test.
train_run() {
  local name=$1 budget=$2; shift 2
  local dir="$OUT/$name" minutes
  minutes=$(awk -v b="$budget" 'BEGIN { m = (b - 15) / 60; if (m < 0.05) m = 0.05; printf "%.2f", m }')
  phase "$name: budget ${budget} s (training stops at ${minutes} min)"
  rm -rf "$dir"
  watch_progress "$name" "$dir" &
  local watcher=$!
  set +e
  INDRNN "$@" --backend cuda --out "$dir" --time-limit "$minutes" > "$OUT/$name.log" 2>&1
  local rc=$?
  set -e
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  tail -2 "$OUT/$name.log"
  if [ $rc -ne 0 ]; then echo "$name: indrnn train exited with $rc (see $name.log)"; return 0; fi
  INDRNN report "$dir" > /dev/null || echo "$name: report failed"
  $NODE bench/gpu/repro-summary.mjs --run "$name" "$dir" "$DEVICE" | tee -a "$OUT/summary.jsonl"
}

: > "$OUT/summary.jsonl"
if wants adding-1000; then
  train_run adding-1000 "${BUDGET[adding-1000]}" train adding --preset paper --seq-len 1000 "${ADDING_DRY[@]}"
fi
if wants adding-5000; then
  train_run adding-5000 "${BUDGET[adding-5000]}" train adding --preset paper --seq-len 5000 "${ADDING_DRY[@]}"
fi
if wants fashion; then
  if [ -d "$FASHION_DIR" ]; then
    train_run fashion-mnist "${BUDGET[fashion]}" train fashion-mnist --preset paper --data-dir "$FASHION_DIR" "${FASHION_DRY[@]}"
  else
    echo "fashion: $FASHION_DIR is missing (prepare.sh copies /usr/share/datasets/fashion-mnist when dataset-fashion-mnist is installed); skipped"
  fi
fi
if wants lm; then
  phase "LM-sized step: 6x2000 T=50 B=128 input 600, ours (frame-wise and sequence-wise BN) vs PyTorch (sequence-wise BN); budget ${BUDGET[lm]} s"
  : > "$OUT/lm.jsonl"
  for bn in frame sequence; do
    timeout "$(( BUDGET[lm] / 3 ))" $NODE bench/gpu/step.mjs "${LM_SHAPE[@]}" --warmup "$LM_WARMUP" --bn "$bn" --profile 0 | tee -a "$OUT/lm.jsonl" \
      || echo "{\"impl\":\"indrnn-cuda\",\"bn\":\"$bn\",\"error\":\"failed or over budget\"}" | tee -a "$OUT/lm.jsonl"
  done
  if [ "$DRY" = 1 ]; then
    echo '{"impl":"pytorch-indrnn","error":"not run in a dry run (no GPU)"}' | tee -a "$OUT/lm.jsonl"
  else
    timeout "$(( BUDGET[lm] / 3 ))" python3 .gpu/torch_rnn_step.py --model indrnn "${LM_SHAPE[@]}" --bn --device cuda \
      | tee -a "$OUT/lm.jsonl" || echo '{"impl":"pytorch-indrnn","error":"failed or over budget"}' | tee -a "$OUT/lm.jsonl"
  fi
  $NODE bench/gpu/repro-summary.mjs --lm "$OUT/lm.jsonl" "$DEVICE" | tee -a "$OUT/summary.jsonl"
fi

phase "table"
$NODE bench/gpu/repro-summary.mjs --table "$OUT/summary.jsonl" | tee "$OUT/table.md"
phase "done (budget ${BUDGET_S} s)"
