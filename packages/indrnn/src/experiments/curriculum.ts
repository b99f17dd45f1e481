/**
 * A length curriculum for synthetic tasks: train on shorter sequences first, then on the full length.
 * Each stage trains `steps` steps, cycling through its `lengths` one step each (two lengths that
 * alternate keep the model from fitting one length only: see the adding preset); after the last
 * stage every step uses the run's own --seq-len. Lengths at or above the run's length are dropped
 * (and a stage left with none), so one preset serves every T. Validation and test always use the
 * full length, and the |u| bound comes from it, so the curriculum changes only the training batches.
 * A few distinct lengths, not a length that grows every step: each new length allocates new buffers,
 * and growing T step by step made training ~8x slower here.
 */
import { fail } from '../util/errors.js';

export interface CurriculumStage {
  /** Training sequence lengths of this stage, one step each in turn. */
  lengths: number[];
  /** Steps the stage trains. */
  steps: number;
}

/** `LEN[/LEN…]:STEPS,…` (the CLI's --curriculum), e.g. `400/600:5000` or `1000:4000,2000:1000`; `none` or '' = no curriculum. */
export function parseCurriculum(text: string): CurriculumStage[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  return trimmed.split(',').map((part) => {
    const m = /^\s*(\d+(?:\s*\/\s*\d+)*)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m) fail(`curriculum: expected stages LEN:STEPS (or LEN/LEN:STEPS to alternate lengths) separated by commas, such as 400/600:5000 or 1000:4000,2000:1000 (or 'none'), got '${text}'`);
    return checkStage({ lengths: m[1]!.split('/').map(Number), steps: Number(m[2]) }, text);
  });
}

function checkStage(stage: CurriculumStage, context: string): CurriculumStage {
  if (stage.lengths.length === 0) fail(`curriculum: a stage needs at least one length, in '${context}'`);
  for (const len of stage.lengths) {
    if (!Number.isSafeInteger(len) || len < 2) fail(`curriculum: a stage's length must be an integer >= 2, got ${len} in '${context}'`);
  }
  if (!Number.isSafeInteger(stage.steps) || stage.steps < 1) fail(`curriculum: a stage's steps must be an integer >= 1, got ${stage.steps} in '${context}'`);
  return stage;
}

/** Checks stages read from a config file (the same rules as the flag). */
export function validateCurriculum(stages: unknown): CurriculumStage[] {
  if (!Array.isArray(stages)) fail(`settings: curriculum must be a list of {lengths, steps} stages, got ${JSON.stringify(stages)}`);
  return stages.map((s: unknown) => {
    const st = s as Partial<CurriculumStage> | null;
    if (typeof st !== 'object' || st === null || !Array.isArray(st.lengths)) fail(`settings: curriculum stage ${JSON.stringify(s)} is not a {lengths, steps} object`);
    return checkStage({ lengths: st.lengths.map(Number), steps: Number(st.steps) }, JSON.stringify(stages));
  });
}

/** The stages a run of length `seqLen` uses: their lengths shorter than it, stages left empty dropped. */
export function activeStages(stages: readonly CurriculumStage[], seqLen: number): CurriculumStage[] {
  return stages
    .map((s) => ({ lengths: s.lengths.filter((len) => len < seqLen), steps: s.steps }))
    .filter((s) => s.lengths.length > 0);
}

/** Training length at 1-based `step`. */
export function trainingLength(stages: readonly CurriculumStage[], seqLen: number, step: number): number {
  let start = 0;
  for (const stage of activeStages(stages, seqLen)) {
    if (step <= start + stage.steps) return stage.lengths[(step - start - 1) % stage.lengths.length]!;
    start += stage.steps;
  }
  return seqLen;
}

/** `T=400/600 (alternating) for 5000 steps, then T=5000`; null without active stages. */
export function describeCurriculum(stages: readonly CurriculumStage[], seqLen: number): string | null {
  const active = activeStages(stages, seqLen);
  if (active.length === 0) return null;
  const stage = (s: CurriculumStage): string => `T=${s.lengths.join('/')}${s.lengths.length > 1 ? ' (alternating)' : ''} for ${s.steps} steps`;
  return `${active.map(stage).join(', then ')}, then T=${seqLen}`;
}

/** The flag's text for stages (config display, --help). */
export function formatCurriculum(stages: readonly CurriculumStage[]): string {
  return stages.length === 0 ? 'none' : stages.map((s) => `${s.lengths.join('/')}:${s.steps}`).join(',');
}
