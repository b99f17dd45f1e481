/** Optimizers, parameter groups, gradient clipping and schedules. */
export {
  Optimizer, Adam, SGD, type ParamGroup, type AdamOptions, type SGDOptions, type OptimizerState, type StepOptions,
} from './optimizer.js';
export { clipGradValue, clipGradNorm } from './clip.js';
export { weightDecayGroups } from './groups.js';
export { StepLR, ReduceLROnPlateau, type PlateauOptions, type PlateauDecision } from './schedule.js';
