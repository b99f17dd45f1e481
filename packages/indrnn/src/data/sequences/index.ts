/**
 * A user's own sequences (browser-safe): JSON Lines and .npy readers, targets, standardisation,
 * batches, the model's spec. The long-form CSV reader is Node-only (csv.ts; 'indrnn/node').
 */
export { sequenceLength, longestSequence, selectSequences, checkSameFeatures, type SequenceLabel, type SequenceSet, type StepLabel } from './types.js';
export { parseSequencesJsonl, type JsonlSequenceOptions } from './jsonl.js';
export { parseSequencesNpy, type NamedBytes, type NpySequenceInputs } from './npy.js';
export { TARGET_KINDS, MAX_CLASSES, inferTarget, encodeTargets, stepLabelView, describeTarget, className, type TargetKind, type TargetSpec, type EncodedTargets } from './targets.js';
export { fitStandardization, standardize, checkStandardization, type Standardization } from './standardize.js';
export { sequenceBatch, indicesByLength, type SequenceBatch } from './batch.js';
export { SEQUENCE_SPEC_FILE, SEQUENCE_SPEC_FORMAT, SEQUENCE_SPEC_VERSION, serializeSequenceSpec, parseSequenceSpec, type SequenceSpec } from './spec.js';
