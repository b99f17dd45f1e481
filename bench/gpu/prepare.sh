#!/usr/bin/env bash
# Fills .gpu/ (git-ignored) with what bench/gpu/run.sh needs on the GPU machine, which has nvcc,
# cuBLAS, PyTorch and CuPy but no Node and no network, and receives only this checkout plus the
# folders a device call carries: a Node binary, the four Node-API headers, the shared PyTorch
# baseline, the compiled JS (dist/ folders are git-ignored, so they would not travel), and for
# reproduce.sh the CLI with commander and the Fashion-MNIST files.
# Run it here, on the dev machine, from anywhere in the checkout; it takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
node_bin=/usr/bin/node
[ -x "$node_bin" ] || node_bin=$(command -v node)
headers=/usr/include/node
baseline=$root/../shared/baselines/torch_rnn_step.py
for f in "$node_bin" "$headers/node_api.h" "$baseline"; do
  [ -e "$f" ] || { echo "prepare.sh: $f is missing" >&2; exit 1; }
done

echo "== building the TypeScript (npm run build)"
npm run -s build

echo "== filling .gpu/"
rm -rf .gpu
mkdir -p .gpu/include .gpu/dist/indrnn .gpu/dist/cuda .gpu/dist/bench .gpu/dist/cli .gpu/node_modules
# the addon must be built against the headers of the Node that runs it
xz -T2 -c "$node_bin" > .gpu/node.xz
"$node_bin" --version > .gpu/node-version.txt
cp "$headers"/node_api.h "$headers"/node_api_types.h "$headers"/js_native_api.h \
  "$headers"/js_native_api_types.h .gpu/include/
cp "$baseline" .gpu/
cp -r packages/indrnn/dist/src .gpu/dist/indrnn/
cp -r packages/cuda/dist/lib packages/cuda/dist/test .gpu/dist/cuda/
cp -r bench/dist/src .gpu/dist/bench/
# reproduce.sh trains through the CLI: its compiled JS and its one dependency
cp -r packages/cli/dist/src .gpu/dist/cli/
cp -r node_modules/commander .gpu/node_modules/
# reproduce.sh's Fashion-MNIST run (Debian's dataset-fashion-mnist, ~30 MB gzipped IDX files)
fashion=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
if [ -f "$fashion/train-images-idx3-ubyte.gz" ]; then
  cp -r "$fashion" .gpu/fashion-mnist
else
  echo "prepare.sh: no Fashion-MNIST at $fashion (apt-get install dataset-fashion-mnist); reproduce.sh will skip that run"
fi
git rev-parse --short HEAD > .gpu/commit.txt 2>/dev/null || true

git check-ignore -q .gpu || { echo "prepare.sh: .gpu/ must be git-ignored" >&2; exit 1; }
echo "== .gpu/ is ready ($(du -sh .gpu | cut -f1)); the device call carries it:"
echo '   run  command: bash bench/gpu/run.sh         carry: [".gpu"]   timeout_s: 540'
echo '   or   command: bash bench/gpu/reproduce.sh   carry: [".gpu"]   timeout_s: 560'
