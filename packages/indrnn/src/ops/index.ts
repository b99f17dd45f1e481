/** All differentiable ops, for `import { ops } from 'indrnn'`. */
export * from './elementwise.js';
export { sum, mean, argmax, sumTo } from './reduce.js';
export { reshape, transpose, slice, concat, stack, broadcastTo, gatherRows, toTimeMajor, toBatchFirst } from './layout.js';
export { matmul, linear } from './matmul.js';
export { softmaxCrossEntropy, mseLoss, softmax, type Reduction } from './loss.js';
export { batchNormTrain, dropoutShared, dropoutMask, assertFinite, type BatchStats } from './normalization.js';
export { indrnnScan, indrnnScanProjected, rnnScan, lstmScan } from './recurrent.js';
export { embedding } from './embedding.js';
export { conv1d, conv2d, im2col, type ConvOptions } from './conv.js';
