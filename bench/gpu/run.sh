#!/usr/bin/env bash
# The whole GPU check in ONE device call (see bench/gpu/README.md): unpack the carried Node,
# build the CUDA addon with one nvcc call, run the CUDA tests, then time our training step
# against PyTorch's (torch_rnn_step.py --device cuda) on the issue's three configurations and
# print one JSON line per measurement and a ratio table. About 3-5 minutes on an H100.
# Needs .gpu/ from bench/gpu/prepare.sh. Writes results.jsonl, tests.log, build.log to $OUT.
#
#   RUN_TESTS=0        skip the tests           INDRNN_CUDA_ARCHS=90   what nvcc compiles for
#   STEPS=20 WARMUP=3  timed / untimed steps    CONFIGS="2,1024,128,2 ..."  layers,T,B,input
#   PROFILE=5          profiled steps per config (GPU ms per kernel entry point; 0 = off)
#   CPU_PROFILE=1      V8 CPU profile of our T=5000 run, summarised (bench/gpu/cpuprof.mjs)
#   SANITIZE=1         memcheck, last TF32_ROW=0  skip the TF32 row (information only)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/indrnn-gpu}
mkdir -p "$OUT"
STEPS=${STEPS:-20}
WARMUP=${WARMUP:-3}
PROFILE=${PROFILE:-5}
CONFIGS=${CONFIGS:-"2,1024,128,2 2,5000,128,2 6,784,32,1"}
source bench/gpu/setup.sh
# the JSON line of a measurement that did not run (so the table says 'no result')
failed() {
  printf '{"impl":"%s","layers":%s,"T":%s,"B":%s,"hidden":128,"input":%s,"error":"failed"}\n' \
    "$1" "$layers" "$T" "$B" "$input"
}

phase "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
  || echo "(no nvidia-smi)"

phase "unpack node"
unpack_node

phase "restore the compiled JS and the workspace links"
restore_dist

phase "build the addon (one nvcc call)"
build_addon

tests_rc=0
if [ "${RUN_TESTS:-1}" = 1 ]; then
  phase "CUDA tests (every kernel and a model against the reference)"
  set +e
  INDRNN_BACKEND=reference $NODE --test --test-concurrency=1 --test-reporter=spec \
    packages/cuda/dist/test/ > "$OUT/tests.log" 2>&1
  tests_rc=$?
  set -e
  # the failures in full, the passes as a count
  grep -E '^ *(✖|ℹ (tests|pass|fail|skipped))|skipped|Error|differ' "$OUT/tests.log" \
    | head -80 || true
  echo "tests exit code: $tests_rc (full log: \$OUT/tests.log)"
fi

phase "IndRNN scan kernels alone"
$NODE bench/gpu/step.mjs --scan-only --T 1024 --B 128 --hidden 128 | tee -a "$OUT/results.jsonl" \
  || echo "run.sh: the scan timing failed; going on with the training steps"

phase "training steps: ours (cuda) vs PyTorch (fused-kernel IndRNN, CUDA)"
: > "$OUT/steps.jsonl"
for cfg in $CONFIGS; do
  IFS=, read -r layers T B input <<< "$cfg"
  args=(--layers "$layers" --T "$T" --B "$B" --hidden 128 --input "$input")
  $NODE bench/gpu/step.mjs "${args[@]}" --steps "$STEPS" --warmup "$WARMUP" --profile "$PROFILE" \
    | tee -a "$OUT/steps.jsonl" \
    || failed indrnn-cuda >> "$OUT/steps.jsonl"
  python3 .gpu/torch_rnn_step.py --model indrnn "${args[@]}" --device cuda --steps "$STEPS" \
    | tee -a "$OUT/steps.jsonl" \
    || failed pytorch-indrnn >> "$OUT/steps.jsonl"
done
if [ "${TF32_ROW:-1}" = 1 ]; then
  # for information only (PyTorch's default fp32 matmul is not TF32): the longest config with TF32
  INDRNN_CUDA_TF32=1 $NODE bench/gpu/step.mjs --layers 2 --T 5000 --B 128 --hidden 128 --input 2 \
    --steps "$STEPS" --warmup "$WARMUP" | sed 's/"indrnn-cuda"/"indrnn-cuda-tf32"/' \
    | tee -a "$OUT/results.jsonl" || true
fi
cat "$OUT/steps.jsonl" >> "$OUT/results.jsonl"

phase "ratio table (target: ours / PyTorch <= 0.5)"
$NODE bench/gpu/table.mjs "$OUT/steps.jsonl" | tee "$OUT/table.md"

if [ "${CPU_PROFILE:-0}" = 1 ]; then
  # where the host time goes in the longest configuration (V8 CPU profile of the whole run)
  phase "host CPU profile: ours, 2x128 T=5000 B=128"
  rm -rf /tmp/cpuprof
  $NODE --cpu-prof --cpu-prof-dir=/tmp/cpuprof bench/gpu/step.mjs --layers 2 --T 5000 --B 128 \
    --hidden 128 --input 2 --steps "$STEPS" --warmup "$WARMUP" || true
  for f in /tmp/cpuprof/*.cpuprofile; do $NODE bench/gpu/cpuprof.mjs "$f" 25 || true; done
fi

if [ "${SANITIZE:-0}" = 1 ]; then
  # last, so a slow or refused sanitizer (gVisor machines) cannot cost the timings; capped per file
  phase "compute-sanitizer memcheck over the scan and kernel tests (capped at ${SANITIZE_S:-120} s each)"
  for f in scans kernels; do
    timeout "${SANITIZE_S:-120}" compute-sanitizer --tool memcheck --error-exitcode 9 \
      $NODE packages/cuda/dist/test/$f.test.mjs > "$OUT/sanitize-$f.log" 2>&1 \
      || echo "memcheck: $f failed or timed out (see \$OUT/sanitize-$f.log)"
    tail -3 "$OUT/sanitize-$f.log"
  done
fi

phase "done"
[ "$tests_rc" = 0 ] || die "the CUDA tests failed (exit $tests_rc); see tests.log"
