/**
 * The files of a run folder and what a new invocation finds there: whether it holds a run, which
 * checkpoints, leftovers of killed writes. Writing checkpoints keeps one previous `last.ckpt`, so a
 * corrupt one is not the end of a run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/files.js';

export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  last: path.join('checkpoints', 'last.ckpt'),
  previous: path.join('checkpoints', 'previous.ckpt'),
  best: path.join('checkpoints', 'best.ckpt'),
  model: 'model',
} as const;

export type CheckpointName = 'last' | 'previous' | 'best';

export interface RunFolderState {
  exists: boolean;
  hasConfig: boolean;
  checkpoints: Record<CheckpointName, boolean>;
  /** Any checkpoint at all: the folder holds a run that can be resumed. */
  hasCheckpoint: boolean;
}

export function inspectRunFolder(dir: string): RunFolderState {
  const has = (f: string): boolean => fs.existsSync(path.join(dir, f));
  const checkpoints = { last: has(RUN_FILES.last), previous: has(RUN_FILES.previous), best: has(RUN_FILES.best) };
  return {
    exists: fs.existsSync(dir),
    hasConfig: has(RUN_FILES.config),
    checkpoints,
    hasCheckpoint: checkpoints.last || checkpoints.previous || checkpoints.best,
  };
}

/** Removes the files a run writes (config, metrics, checkpoints, model, the task's artifacts); other files stay. */
export function clearRunFiles(dir: string, artifacts: readonly string[]): void {
  for (const f of [RUN_FILES.config, RUN_FILES.metrics, 'checkpoints', RUN_FILES.model, ...artifacts]) {
    fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  }
}

/** Deletes the temporary files of atomic writes a killed process left behind; returns their names. */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  for (const sub of ['.', 'checkpoints', RUN_FILES.model]) {
    const d = path.join(dir, sub);
    if (!fs.existsSync(d)) continue;
    for (const name of fs.readdirSync(d)) {
      // writeFileAtomic's temporary names: .<file>.<pid>.<time>.tmp
      if (/^\..+\.\d+\.\d+\.tmp$/.test(name)) {
        fs.rmSync(path.join(d, name), { force: true });
        removed.push(path.join(sub, name));
      }
    }
  }
  return removed;
}

/** Writes checkpoints/last.ckpt atomically, keeping the one it replaces as previous.ckpt. */
export function writeLastCheckpoint(dir: string, bytes: Uint8Array): void {
  const last = path.join(dir, RUN_FILES.last);
  // a crash between the rename and the write leaves previous.ckpt alone; resume then uses it
  if (fs.existsSync(last)) fs.renameSync(last, path.join(dir, RUN_FILES.previous));
  writeFileAtomic(last, bytes);
}
