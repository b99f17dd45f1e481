/**
 * The exports of kernels.wasm (assembly/index.ts), typed for the JS side. Pointers are byte
 * addresses in the module's memory; booleans are passed as 0/1; every kernel is synchronous.
 */
type Ptr = number;

export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): Ptr;
  packASize(): number;
  packBSize(k: number, n: number): number;
  packB(b: Ptr, k: number, n: number, transB: number, dst: Ptr): void;
  gemmPackedLd(
    a: Ptr,
    transA: number,
    lda: number,
    m: number,
    n: number,
    k: number,
    pb: Ptr,
    pa: Ptr,
    c: Ptr,
    accumulate: number,
  ): void;
  gemm(
    a: Ptr,
    b: Ptr,
    c: Ptr,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    pb: Ptr,
    pa: Ptr,
    accumulate: number,
  ): void;
  indrnnScan(
    z: Ptr,
    u: Ptr,
    h0: Ptr,
    lens: Ptr,
    T: number,
    B: number,
    N: number,
    act: number,
    h: Ptr,
    /** 0: no bias */
    bias: Ptr,
  ): void;
  indrnnScanGrad(
    dh: Ptr,
    h: Ptr,
    u: Ptr,
    h0: Ptr,
    lens: Ptr,
    T: number,
    B: number,
    N: number,
    act: number,
    dz: Ptr,
    du: Ptr,
    dh0: Ptr,
    carry: Ptr,
    duAcc: Ptr,
    /** 0: no bias gradient */
    db: Ptr,
    dbAcc: Ptr,
  ): void;
  indrnnScanProj(
    x: Ptr,
    wt: Ptr,
    F: number,
    bias: Ptr,
    u: Ptr,
    h0: Ptr,
    lens: Ptr,
    T: number,
    B: number,
    N: number,
    act: number,
    h: Ptr,
  ): void;
  indrnnScanProjGrad(
    dh: Ptr,
    h: Ptr,
    x: Ptr,
    F: number,
    u: Ptr,
    h0: Ptr,
    lens: Ptr,
    T: number,
    B: number,
    N: number,
    act: number,
    /** 0 unless dx is wanted */
    dz: Ptr,
    du: Ptr,
    dh0: Ptr,
    carry: Ptr,
    duAcc: Ptr,
    db: Ptr,
    dbAcc: Ptr,
    dw: Ptr,
    dwAcc: Ptr,
  ): void;
  rnnScan(
    gx: Ptr,
    whh: Ptr,
    h0: Ptr,
    lens: Ptr,
    T: number,
    B: number,
    H: number,
    act: number,
    h: Ptr,
    pb: Ptr,
    pa: Ptr,
    rec: Ptr,
  ): void;
  rnnScanGrad(
    dh: Ptr,
    h: Ptr,
    whh: Ptr,
    h0: Ptr,
    lens: Ptr,
    T: number,
    B: number,
    H: number,
    act: number,
    dgx: Ptr,
    dwhh: Ptr,
    dh0: Ptr,
    pbW: Ptr,
    pa: Ptr,
    carry: Ptr,
    back: Ptr,
    pbG: Ptr,
  ): void;
  lstmScan(
    gx: Ptr,
    whh: Ptr,
    h0: Ptr,
    c0: Ptr,
    lens: Ptr,
    T: number,
    B: number,
    H: number,
    h: Ptr,
    c: Ptr,
    gates: Ptr,
    pb: Ptr,
    pa: Ptr,
    rec: Ptr,
  ): void;
  lstmScanGrad(
    dh: Ptr,
    dc: Ptr,
    gates: Ptr,
    h: Ptr,
    c: Ptr,
    whh: Ptr,
    h0: Ptr,
    c0: Ptr,
    lens: Ptr,
    T: number,
    B: number,
    H: number,
    dgx: Ptr,
    dwhh: Ptr,
    dh0: Ptr,
    dc0: Ptr,
    pbW: Ptr,
    pa: Ptr,
    hCarry: Ptr,
    cCarry: Ptr,
    back: Ptr,
    pbG: Ptr,
  ): void;
  unary(op: number, x: Ptr, y: Ptr, n: number): void;
  unaryGrad(op: number, x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  binary(op: number, a: Ptr, b: Ptr, out: Ptr, desc: Ptr, idx: Ptr, offs: Ptr): void;
  broadcastTo(x: Ptr, out: Ptr, desc: Ptr, idx: Ptr, offs: Ptr): void;
  reduceSum(x: Ptr, out: Ptr, outSize: number, desc: Ptr, idx: Ptr, offs: Ptr, acc: Ptr): void;
  affine(x: Ptr, y: Ptr, n: number, scale: number, shift: number): void;
  clamp(x: Ptr, n: number, lo: number, hi: number): void;
  scale(x: Ptr, n: number, s: number): void;
  sumSquares(x: Ptr, n: number): number;
  softmax(x: Ptr, rows: number, cols: number, out: Ptr): void;
  softmaxCrossEntropy(
    logits: Ptr,
    rows: number,
    cols: number,
    targets: Ptr,
    ignore: number,
    loss: Ptr,
    probs: Ptr,
  ): void;
  softmaxCrossEntropyGrad(
    probs: Ptr,
    targets: Ptr,
    dloss: Ptr,
    rows: number,
    cols: number,
    ignore: number,
    dx: Ptr,
  ): void;
  batchNormTrain(
    x: Ptr,
    G: number,
    R: number,
    C: number,
    gamma: Ptr,
    beta: Ptr,
    eps: number,
    y: Ptr,
    mean: Ptr,
    variance: Ptr,
    invStd: Ptr,
    scratch: Ptr,
  ): void;
  batchNormGrad(
    dy: Ptr,
    x: Ptr,
    G: number,
    R: number,
    C: number,
    mean: Ptr,
    invStd: Ptr,
    gamma: Ptr,
    dx: Ptr,
    dgamma: Ptr,
    dbeta: Ptr,
    scratch: Ptr,
  ): void;
  batchNormTrainMasked(
    x: Ptr,
    T: number,
    R: number,
    C: number,
    lengths: Ptr,
    perStep: number,
    gamma: Ptr,
    beta: Ptr,
    eps: number,
    y: Ptr,
    mean: Ptr,
    variance: Ptr,
    invStd: Ptr,
    scratch: Ptr,
  ): void;
  batchNormGradMasked(
    dy: Ptr,
    x: Ptr,
    T: number,
    R: number,
    C: number,
    lengths: Ptr,
    perStep: number,
    mean: Ptr,
    invStd: Ptr,
    gamma: Ptr,
    dx: Ptr,
    dgamma: Ptr,
    dbeta: Ptr,
    scratch: Ptr,
  ): void;
  adamStep(
    p: Ptr,
    grad: Ptr,
    m: Ptr,
    v: Ptr,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    c1: number,
    c2: number,
    eps: number,
    wd: number,
    bc1: number,
    bc2: number,
  ): void;
  sgdStep(
    p: Ptr,
    grad: Ptr,
    buf: Ptr,
    n: number,
    lr: number,
    momentum: number,
    undamped: number,
    nesterov: number,
    wd: number,
    hasMomentum: number,
  ): void;
}
