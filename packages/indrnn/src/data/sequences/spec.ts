/**
 * How a model trained on a user's sequences reads them: the features per step (and their names, from
 * a CSV header), the standardisation fitted on the training data, the target (class names or
 * regression outputs) and the longest training sequence. Saved as `sequences.json` beside the
 * model's weights, so a model directory is all that `predict` needs.
 */
import { fail } from '../../util/errors.js';
import { checkStandardization, type Standardization } from './standardize.js';
import type { TargetSpec } from './targets.js';

export const SEQUENCE_SPEC_FILE = 'sequences.json';
export const SEQUENCE_SPEC_FORMAT = 'indrnn-sequences';
export const SEQUENCE_SPEC_VERSION = 1;

export interface SequenceSpec {
  format: typeof SEQUENCE_SPEC_FORMAT;
  version: number;
  features: number;
  featureNames: string[] | null;
  standardization: Standardization | null;
  target: TargetSpec;
  /** Steps of the longest training sequence. */
  longestTraining: number;
  /** One label per step: the model predicts at every step (absent: one label per sequence). */
  perStep?: boolean;
}

export function serializeSequenceSpec(spec: SequenceSpec): string {
  return JSON.stringify(spec, null, 2) + '\n';
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isCount = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** Parses and checks a sequences.json text; every problem names `source`. */
export function parseSequenceSpec(text: string, source: string): SequenceSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const s = raw as Partial<SequenceSpec> | null;
  if (!s || typeof s !== 'object' || s.format !== SEQUENCE_SPEC_FORMAT) fail(`${source}: not an indrnn sequences spec (expected "format": "${SEQUENCE_SPEC_FORMAT}")`);
  if (s.version !== SEQUENCE_SPEC_VERSION) fail(`${source}: version ${String(s.version)} is not supported (this build reads version ${SEQUENCE_SPEC_VERSION})`);
  if (!isCount(s.features, 1)) fail(`${source}: "features" must be an integer >= 1`);
  if (s.featureNames !== null && !(isStringList(s.featureNames) && s.featureNames.length === s.features)) {
    fail(`${source}: "featureNames" must be null or a list of ${s.features} names`);
  }
  const standardization = s.standardization === null ? null : checkStandardization(s.standardization, s.features, source);
  const t = s.target as Partial<TargetSpec & { numClasses: unknown; classNames: unknown; outputs: unknown }> | undefined;
  let target: TargetSpec;
  if (t?.kind === 'classify' && isCount(t.numClasses, 2) && (t.classNames === null || (isStringList(t.classNames) && t.classNames.length === t.numClasses))) {
    target = { kind: 'classify', numClasses: t.numClasses, classNames: t.classNames };
  } else if (t?.kind === 'regress' && isCount(t.outputs, 1)) {
    target = { kind: 'regress', outputs: t.outputs };
  } else {
    fail(`${source}: "target" must be {"kind": "classify", "numClasses", "classNames"} or {"kind": "regress", "outputs"}`);
  }
  if (!isCount(s.longestTraining, 1)) fail(`${source}: "longestTraining" must be an integer >= 1`);
  if (s.perStep !== undefined && typeof s.perStep !== 'boolean') fail(`${source}: "perStep" must be true or false`);
  return {
    format: SEQUENCE_SPEC_FORMAT, version: SEQUENCE_SPEC_VERSION, features: s.features, featureNames: s.featureNames ?? null,
    standardization, target, longestTraining: s.longestTraining, ...(s.perStep ? { perStep: true } : {}),
  };
}
