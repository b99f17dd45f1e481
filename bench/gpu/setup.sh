# Sourced by run.sh and reproduce.sh: the steps both device scripts share on the GPU machine
# (unpack the carried Node, restore the compiled JS and the workspace links, build the addon with
# one nvcc call). With DRY=1 they run here instead, on the CPU emulator of the CUDA runtime: the
# local node and dist/ are used as they are, nothing is built, and INDRNN_CUDA_ADDON must name the
# emulated addon (packages/cuda/emu/build.cjs writes it to packages/cuda/build-emu/).
phase() { printf '\n== %s  [%ds]\n' "$*" "$SECONDS"; }
die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# Sets NODE to a Node binary: the carried one on the GPU machine, the local one in a dry run.
unpack_node() {
  if [ "${DRY:-0}" = 1 ]; then
    NODE=$(command -v node)
    return
  fi
  [ -f .gpu/node.xz ] || die ".gpu/node.xz is missing: run bench/gpu/prepare.sh, carry [\".gpu\"]"
  [ -d .gpu/dist/cuda ] || die ".gpu/dist is missing: rerun bench/gpu/prepare.sh"
  xz -dc .gpu/node.xz > /tmp/node
  chmod +x /tmp/node
  NODE=/tmp/node
  $NODE --version
}

# dist/ folders are git-ignored, so they travel in .gpu/dist; put them back and link the workspaces.
restore_dist() {
  [ "${DRY:-0}" = 1 ] && return
  rm -rf packages/indrnn/dist packages/cuda/dist bench/dist packages/cli/dist
  mkdir -p packages/indrnn/dist packages/cuda/dist bench/dist packages/cli/dist node_modules/@indrnn
  cp -r .gpu/dist/indrnn/src packages/indrnn/dist/
  cp -r .gpu/dist/cuda/lib .gpu/dist/cuda/test packages/cuda/dist/
  cp -r .gpu/dist/bench/src bench/dist/
  ln -sfn ../packages/indrnn node_modules/indrnn
  ln -sfn ../../packages/cuda node_modules/@indrnn/cuda
  # the CLI and its one dependency (reproduce.sh trains through `indrnn train`)
  if [ -d .gpu/dist/cli ]; then
    cp -r .gpu/dist/cli/src packages/cli/dist/
    rm -rf node_modules/commander
    cp -r .gpu/node_modules/commander node_modules/commander
  fi
}

# cuBLAS (the toolkit's, else PyTorch's) and one nvcc call for the addon.
build_addon() {
  [ "${DRY:-0}" = 1 ] && { [ -n "${INDRNN_CUDA_ADDON:-}" ] || die "DRY=1 needs INDRNN_CUDA_ADDON (the emulated addon)"; return; }
  export PATH=/usr/local/cuda/bin:$PATH
  command -v nvcc >/dev/null || die "nvcc is not on PATH (looked in /usr/local/cuda/bin too)"
  nvcc --version | tail -1
  if ! ls /usr/local/cuda/lib64/libcublas.so* >/dev/null 2>&1 && [ -z "${INDRNN_CUBLAS:-}" ]; then
    INDRNN_CUBLAS=$(find /usr /opt -name 'libcublas.so.1[0-9]*' 2>/dev/null | head -1 || true)
    [ -n "$INDRNN_CUBLAS" ] && export INDRNN_CUBLAS && echo "cuBLAS: $INDRNN_CUBLAS"
  fi
  # exported: the tests' build check (loader.test) then finds the same flags and does not rebuild
  export INDRNN_CUDA_EMULATOR=0  # the real kernels run here, not the CPU emulator
  export INDRNN_NODE_INCLUDE=$PWD/.gpu/include INDRNN_CUDA_ARCHS=${INDRNN_CUDA_ARCHS:-90}
  $NODE packages/cuda/scripts/install.cjs --force --strict --verbose
  cp packages/cuda/build/install.log "$OUT/build.log"
}
