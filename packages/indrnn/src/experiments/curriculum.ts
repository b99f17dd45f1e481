/**
 * A length curriculum for synthetic tasks: train on shorter sequences first, then on the full length.
 * Each stage trains `steps` steps at `seqLen`; after the last stage every step uses the run's own
 * --seq-len. Stages at or above the run's length are skipped, so one preset serves every T (at
 * T = 1000 a curriculum of 1000:4000,2000:1000 is no curriculum at all). Validation and test always
 * use the full length, and the |u| bound comes from it, so the curriculum changes only the training
 * batches. A few distinct lengths, not a length that grows every step: each new length allocates new
 * buffers, and growing T step by step made training ~8x slower here.
 */
import { fail } from '../util/errors.js';

export interface CurriculumStage {
  /** Training sequence length of this stage. */
  seqLen: number;
  /** Steps trained at that length. */
  steps: number;
}

/** `LEN:STEPS,LEN:STEPS,…` (the CLI's --curriculum), e.g. `1000:4000,2000:1000`; `none` or '' = no curriculum. */
export function parseCurriculum(text: string): CurriculumStage[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  return trimmed.split(',').map((part) => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!m) fail(`curriculum: expected stages LEN:STEPS separated by commas, such as 1000:4000,2000:1000 (or 'none'), got '${text}'`);
    return checkStage({ seqLen: Number(m[1]), steps: Number(m[2]) }, text);
  });
}

function checkStage(stage: CurriculumStage, context: string): CurriculumStage {
  if (!Number.isSafeInteger(stage.seqLen) || stage.seqLen < 2) fail(`curriculum: a stage's length must be an integer >= 2, got ${stage.seqLen} in '${context}'`);
  if (!Number.isSafeInteger(stage.steps) || stage.steps < 1) fail(`curriculum: a stage's steps must be an integer >= 1, got ${stage.steps} in '${context}'`);
  return stage;
}

/** Checks stages read from a config file (the same rules as the flag). */
export function validateCurriculum(stages: unknown): CurriculumStage[] {
  if (!Array.isArray(stages)) fail(`settings: curriculum must be a list of {seqLen, steps} stages, got ${JSON.stringify(stages)}`);
  return stages.map((s: unknown) => {
    const st = s as Partial<CurriculumStage> | null;
    if (typeof st !== 'object' || st === null) fail(`settings: curriculum stage ${JSON.stringify(s)} is not a {seqLen, steps} object`);
    return checkStage({ seqLen: Number(st.seqLen), steps: Number(st.steps) }, JSON.stringify(stages));
  });
}

/** The stages a run of length `seqLen` uses: those shorter than it. */
export function activeStages(stages: readonly CurriculumStage[], seqLen: number): CurriculumStage[] {
  return stages.filter((s) => s.seqLen < seqLen);
}

/** Training length at 1-based `step`. */
export function trainingLength(stages: readonly CurriculumStage[], seqLen: number, step: number): number {
  let end = 0;
  for (const stage of activeStages(stages, seqLen)) {
    end += stage.steps;
    if (step <= end) return stage.seqLen;
  }
  return seqLen;
}

/** `T=1000 for 4000 steps, then T=2000 for 1000 steps, then T=5000`; null without active stages. */
export function describeCurriculum(stages: readonly CurriculumStage[], seqLen: number): string | null {
  const active = activeStages(stages, seqLen);
  if (active.length === 0) return null;
  return `${active.map((s) => `T=${s.seqLen} for ${s.steps} steps`).join(', then ')}, then T=${seqLen}`;
}

/** The flag's text for stages (config display, --help). */
export function formatCurriculum(stages: readonly CurriculumStage[]): string {
  return stages.length === 0 ? 'none' : stages.map((s) => `${s.seqLen}:${s.steps}`).join(',');
}
