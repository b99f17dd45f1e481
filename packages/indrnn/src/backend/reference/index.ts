/**
 * The reference backend: plain TypeScript kernels over host typed arrays. It is the specification
 * every other backend is tested against, so it stays boring: no SIMD, no threads, no caching.
 * It alone supports float64, which gradient checks use.
 */
import type { Backend } from '../backend.js';
import { arrayFor, type TypedArray } from '../../tensor/dtype.js';
import * as ew from './elementwise.js';
import * as layout from './layout.js';
import { matmul } from './matmul.js';
import * as nn from './nn.js';
import {
  indrnnScan, indrnnScanBias, indrnnScanBiasGrad, indrnnScanGrad, indrnnScanProj, indrnnScanProjGrad,
} from './indrnnScan.js';
import { lstmScan, lstmScanGrad, rnnScan, rnnScanGrad } from './rnnScan.js';
import { adamStep, sgdStep } from './optim.js';
import { col2im, im2col } from './conv.js';

export function createReferenceBackend(): Backend<TypedArray> {
  return {
    name: 'reference',
    supports: () => true,
    alloc: (dtype, size) => arrayFor(dtype, size),
    fromHost: (data) => data,
    toHost: (s) => s,
    free: () => {},
    clone: (s) => s.slice(),
    unary: ew.unary,
    unaryGrad: ew.unaryGrad,
    binary: ew.binary,
    affine: ew.affine,
    broadcastTo: ew.broadcastTo,
    reduceSum: ew.reduceSum,
    argmax: ew.argmax,
    clampInPlace: ew.clampInPlace,
    scaleInPlace: ew.scaleInPlace,
    sumSquares: ew.sumSquares,
    cast: ew.cast,
    transpose: layout.transpose,
    slice: layout.slice,
    padSlice: layout.padSlice,
    concat: layout.concat,
    matmul,
    gatherRows: nn.gatherRows,
    scatterAddRows: nn.scatterAddRows,
    softmax: nn.softmax,
    softmaxCrossEntropy: nn.softmaxCrossEntropy,
    softmaxCrossEntropyGrad: nn.softmaxCrossEntropyGrad,
    batchNormTrain: nn.batchNormTrain,
    batchNormGrad: nn.batchNormGrad,
    batchNormTrainMasked: nn.batchNormTrainMasked,
    batchNormGradMasked: nn.batchNormGradMasked,
    indrnnScan,
    indrnnScanGrad,
    indrnnScanBias,
    indrnnScanBiasGrad,
    indrnnScanProj,
    indrnnScanProjGrad,
    rnnScan,
    rnnScanGrad,
    lstmScan,
    lstmScanGrad,
    im2col,
    col2im,
    adamStep,
    sgdStep,
  };
}
