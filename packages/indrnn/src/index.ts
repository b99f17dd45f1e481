/**
 * indrnn: Independently Recurrent Neural Networks for TypeScript.
 * Public API: tensors and autograd, the backend registry, differentiable ops, layers and models,
 * optimizers and schedules, initialisers, serialization and training utilities.
 */
export type { DType, TypedArray } from './tensor/dtype.js';
export type { Shape } from './tensor/shape.js';
// shape arithmetic the accelerated backends share (row-major strides, broadcasting)
export { sizeOf, stridesOf, broadcastStrides } from './tensor/shape.js';
export { Tensor, tensor, zeros, ones, full, type TensorLike } from './tensor/tensor.js';
export { randn, rand, randint, arange } from './tensor/creation.js';
export { noGrad, isGradEnabled, backward } from './autograd/tape.js';
export { gradcheck, formatGradcheck, type GradcheckResult, type GradcheckOptions } from './autograd/gradcheck.js';
export type { Backend, BackendInfo, Activation, UnaryOp, BinaryOp, AdamHyper, SgdHyper } from './backend/backend.js';
export { describeCompute, computeDifferences, type ComputeRecord } from './backend/describe.js';
export { tidy, allocOutput, keepStorage, trackStorage, pooledBytes, clearPool, setPoolLimit } from './backend/memory.js';
export { getBackend, setBackend, registerBackend, listBackends, backendErrors, referenceBackend } from './backend/registry.js';
export { Generator, manualSeed, defaultGenerator } from './util/random.js';
export { IndrnnError, UnsupportedKernelError } from './util/errors.js';
export * as ops from './ops/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './io/index.js';
export { initTensor, recurrentBound, type InitSpec } from './init/init.js';
export * as data from './data/index.js';
export { Trainer, validateTrainOptions, type TrainOptions, type StepRecord, type EvalRecord, type TrainerState } from './train/trainer.js';
export type { Task, TaskState, Split } from './train/task.js';
export { dynamicEvaluate, gradientRms, type DynamicEvalOptions, type DynamicEvalResult } from './train/dynamic-eval.js';
export { encodeCheckpoint, decodeCheckpoint, restoreTrainer, checkpointWeights, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type CheckpointMeta, type DecodedCheckpoint } from './train/checkpoint.js';
export * as analysis from './analysis/index.js';
export * from './predict/index.js';
export * as distributed from './distributed/index.js';
