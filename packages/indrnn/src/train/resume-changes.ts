/**
 * What `--resume` may change. A resumed run continues the run in its folder, so only settings that
 * leave the model, optimizer, data and random streams as they were may differ: how long it runs,
 * where the data now lives, and how often it validates and checkpoints. Anything else is refused,
 * naming each flag with the run's value and the new one, instead of being ignored.
 */
import type { Settings } from '../experiments/settings.js';
import { fail } from '../util/errors.js';
import { formatCurriculum, type CurriculumStage } from '../experiments/curriculum.js';

/** Settings a resumed run may change (the CLI's --steps, --epochs, --time-limit, --data-dir, --eval-every, --checkpoint-every). */
export const RESUMABLE_SETTINGS: readonly (keyof Settings)[] = ['steps', 'epochs', 'timeLimit', 'dataDir', 'evalEvery', 'checkpointEvery'];

/** The CLI flag of a setting: kebab case, with the few names that differ. */
export function settingFlag(key: string): string {
  if (key === 'task') return 'the task';
  const renamed: Record<string, string> = { convChannels: 'channels' };
  return `--${(renamed[key] ?? key).replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
}

/** A setting's value as its flag takes it (lists comma-separated, null as none); also --help's preset values. */
export function settingValue(key: keyof Settings, v: unknown): string {
  if (key === 'curriculum') return formatCurriculum((v ?? []) as CurriculumStage[]);
  if (v === null) return 'none';
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The run's settings with the changes a resume asked for. `changes` holds only what the user set
 * explicitly; values equal to the run's are no change. Throws listing every refused change.
 */
export function applyResumeChanges(run: Settings, changes: Partial<Settings>): Settings {
  const refused: string[] = [];
  const out: Settings = { ...run };
  for (const [key, value] of Object.entries(changes) as [keyof Settings, unknown][]) {
    if (value === undefined || same(run[key], value)) continue;
    if (RESUMABLE_SETTINGS.includes(key)) {
      (out as unknown as Record<string, unknown>)[key] = value;
    } else {
      refused.push(`${settingFlag(key)}: the run has ${settingValue(key, run[key])}, given ${settingValue(key, value)}`);
    }
  }
  // an explicit --steps wins over the run's epoch count, as it does for a fresh run
  if (changes.steps !== undefined && changes.epochs === undefined && !same(run.steps, changes.steps)) out.epochs = null;
  if (refused.length) {
    fail(`--resume continues the run as it was set up; it cannot change ${refused.length === 1 ? 'this setting' : 'these settings'}:\n  ${refused.join('\n  ')}\n` +
      `a resume may change only ${RESUMABLE_SETTINGS.map(settingFlag).join(', ')} (and --json); drop the others, or start a new run with another --out (or --force to replace this one)`);
  }
  return out;
}
