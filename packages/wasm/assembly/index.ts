// Entry point of kernels.wasm: every exported kernel works on caller-placed buffers in linear
// memory (the JS arena starts at heapBase()); nothing here allocates.
export { gemm, gemmPackedLd, packB, packASize, packBSize } from './gemm';
export { indrnnScan, indrnnScanGrad, indrnnScanProj, indrnnScanProjGrad } from './indrnn';
export { rnnScan, rnnScanGrad, lstmScan, lstmScanGrad } from './rnn';
export {
  unary, unaryGrad, binary, broadcastTo, reduceSum, affine, clamp, scale, sumSquares,
} from './elementwise';
export {
  softmax, softmaxCrossEntropy, softmaxCrossEntropyGrad, batchNormTrain, batchNormGrad,
  batchNormTrainMasked, batchNormGradMasked,
} from './nn';
export { adamStep, sgdStep } from './optim';

/** First free byte after the module's static data: the JS arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}
