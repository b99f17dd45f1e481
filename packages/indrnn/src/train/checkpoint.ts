/**
 * Checkpoints: one safetensors file holding the model weights, the optimizer slots, the plateau
 * schedule's best snapshot and the task's tensors, with the run config and the loop state as JSON in
 * the metadata. One file can be written atomically (temporary file + rename) and read by any
 * safetensors tool. Tensor names: `model/<param>`, `optim/<i>/<slot>`, `best/model/<param>`,
 * `best/optim/<i>/<slot>`, `task/<name>`.
 */
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import type { Trainer, TrainerState } from './trainer.js';
import type { OptimizerState } from '../optim/optimizer.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { fail } from '../util/errors.js';
import { crc32 } from '../util/crc32.js';

export const CHECKPOINT_FORMAT = 'indrnn-checkpoint';
/** 2: adds `checksum` to the metadata. Version 1 files (no checksum) still load. */
export const CHECKPOINT_VERSION = 2;

/**
 * CRC-32 over everything a checkpoint restores: each tensor's name, dtype, shape and bytes (by
 * name, so header order does not matter), then the format, version and meta strings. A flipped
 * byte anywhere but the header's padding changes it.
 */
export function checkpointChecksum(tensors: Iterable<[string, Tensor]>, metadata: { format: string; version: string; meta: string }): string {
  const enc = new TextEncoder();
  let c = 0;
  for (const [name, t] of [...tensors].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    c = crc32(enc.encode(`${name}\0${t.dtype}\0${t.shape.join(',')}\0`), c);
    const d = t.data();
    c = crc32(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), c);
  }
  c = crc32(enc.encode(`${metadata.format}\0${metadata.version}\0${metadata.meta}`), c);
  return `crc32:${c.toString(16).padStart(8, '0')}`;
}

/** What a checkpoint file holds besides tensors. */
export interface CheckpointMeta<C> {
  config: C;
  /** Trainer state with the optimizer slots and task tensors moved out into tensors. */
  state: Omit<TrainerState, 'optimizer' | 'task'> & {
    optimizer: Omit<OptimizerState, 'slots'> & { slotCounts: number[] };
    task: { json: unknown; tensorNames: string[] };
    bestOptimizer: (Omit<OptimizerState, 'slots'> & { slotCounts: number[] }) | null;
  };
  /** Wall-clock seconds of training so far (reports show it). */
  elapsed: number;
}

function splitSlots(prefix: string, o: OptimizerState, out: [string, Tensor][]): Omit<OptimizerState, 'slots'> & { slotCounts: number[] } {
  o.slots.forEach((slots, i) => slots.forEach((s, j) => out.push([`${prefix}/${i}/${j}`, tensor(s, [s.length])])));
  return { step: o.step, groups: o.groups, slotCounts: o.slots.map((s) => s.length) };
}

function joinSlots(prefix: string, meta: Omit<OptimizerState, 'slots'> & { slotCounts: number[] }, tensors: Map<string, Tensor>, source: string): OptimizerState {
  const slots = meta.slotCounts.map((n, i) =>
    Array.from({ length: n }, (_, j) => {
      const t = tensors.get(`${prefix}/${i}/${j}`);
      if (!t) fail(`${source}: checkpoint lacks optimizer slot ${prefix}/${i}/${j}`);
      return t.data().slice() as Float32Array | Float64Array;
    }),
  );
  return { step: meta.step, groups: meta.groups, slots };
}

export function encodeCheckpoint<C>(config: C, trainer: Trainer, elapsed: number): Uint8Array {
  const s = trainer.getState();
  const tensors: [string, Tensor][] = [];
  for (const [name, t] of trainer.task.model.stateDict()) tensors.push([`model/${name}`, t]);
  const optimizer = splitSlots('optim', s.optimizer, tensors);
  const snap = trainer.plateauSnapshot();
  let bestOptimizer = null;
  if (snap) {
    for (const [name, t] of snap.weights) tensors.push([`best/model/${name}`, t]);
    bestOptimizer = splitSlots('best/optim', snap.optimizer, tensors);
  }
  const taskTensors = s.task.tensors ?? new Map<string, Tensor>();
  for (const [name, t] of taskTensors) tensors.push([`task/${name}`, t]);
  const meta: CheckpointMeta<C> = {
    config,
    state: { ...s, optimizer, bestOptimizer, task: { json: s.task.json, tensorNames: [...taskTensors.keys()] } },
    elapsed,
  };
  const metadata = { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION), meta: JSON.stringify(meta) };
  return encodeSafetensors(tensors, { ...metadata, checksum: checkpointChecksum(tensors, metadata) });
}

export interface DecodedCheckpoint<C> {
  meta: CheckpointMeta<C>;
  tensors: Map<string, Tensor>;
  source: string;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'number');

function checkOptimizerMeta(o: unknown, what: string): string | null {
  const m = o as { step?: unknown; groups?: unknown; slotCounts?: unknown };
  if (!m || typeof m !== 'object') return `${what} is missing`;
  if (!Number.isInteger(m.step) || (m.step as number) < 0) return `${what}.step is not a count`;
  if (!Array.isArray(m.groups) || !m.groups.every((g) => g && isNum((g as { lr: unknown }).lr) && isNum((g as { weightDecay: unknown }).weightDecay))) {
    return `${what}.groups is not a list of {lr, weightDecay}`;
  }
  if (!Array.isArray(m.slotCounts) || !m.slotCounts.every((c) => Number.isInteger(c) && c >= 0 && c <= 16)) return `${what}.slotCounts is invalid`;
  return null;
}

/** What is wrong with the shape of checkpoint metadata, or null when it has every field it needs. */
function checkMetaShape(meta: unknown): string | null {
  const m = meta as CheckpointMeta<unknown>;
  if (!m || typeof m !== 'object') return 'not an object';
  const s = m.state as unknown as Record<string, unknown>;
  if (!s || typeof s !== 'object') return 'no training state';
  if (!Number.isInteger(s['step']) || (s['step'] as number) < 0) return 'state.step is not a step count';
  const opt = checkOptimizerMeta(s['optimizer'], 'state.optimizer');
  if (opt) return opt;
  if (s['bestOptimizer'] !== null) {
    const best = checkOptimizerMeta(s['bestOptimizer'], 'state.bestOptimizer');
    if (best) return best;
  }
  const rng = s['globalRng'] as number[];
  if (!isNumArray(rng) || (rng.length !== 4 && rng.length !== 5)) return 'state.globalRng is not a generator state';
  const task = s['task'] as { tensorNames?: unknown } | undefined;
  if (!task || typeof task !== 'object' || !Array.isArray(task.tensorNames) || !task.tensorNames.every((n) => typeof n === 'string')) {
    return 'state.task is malformed';
  }
  if (s['best'] !== null && !(s['best'] && typeof s['best'] === 'object' && isNum((s['best'] as { value: unknown }).value))) return 'state.best is malformed';
  if (!isNum(m.elapsed)) return 'elapsed is not a number';
  return null;
}

/** Parses a checkpoint file's bytes; throws naming the file when it is not a valid checkpoint. */
export function decodeCheckpoint<C>(bytes: Uint8Array, source: string): DecodedCheckpoint<C> {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const corrupt = (what: string): never => fail(`${source}: ${what}; the file is corrupt`);
  const format = metadata['format'];
  if (format === undefined) corrupt('the header has no "format" field (an indrnn checkpoint has format "indrnn-checkpoint")');
  if (format !== CHECKPOINT_FORMAT) fail(`${source}: not an indrnn checkpoint (metadata format is ${JSON.stringify(format)})`);
  const version = metadata['version'];
  if (version === undefined) corrupt('the header has no "version" field');
  if (version !== '1' && version !== String(CHECKPOINT_VERSION)) {
    fail(`${source}: checkpoint version ${JSON.stringify(version)} is not supported (this build reads versions 1 and ${CHECKPOINT_VERSION})`);
  }
  if (version !== '1') {
    const stored = metadata['checksum'];
    if (stored === undefined) corrupt('the header has no "checksum" field');
    const computed = checkpointChecksum(tensors, { format, version, meta: metadata['meta'] ?? '' });
    if (computed !== stored) corrupt(`checksum mismatch (stored ${stored}, computed ${computed})`);
  }
  let meta: CheckpointMeta<C>;
  try {
    meta = JSON.parse(metadata['meta'] ?? '') as CheckpointMeta<C>;
  } catch (e) {
    fail(`${source}: checkpoint metadata is not valid JSON (${(e as Error).message}); the file is corrupt`);
  }
  const problem = checkMetaShape(meta);
  if (problem) fail(`${source}: checkpoint metadata is malformed (${problem}); the file is corrupt`);
  // a checksum only vouches for the bytes written; a run that had already diverged is named here
  // rather than blamed later on the learning rate
  for (const [name, t] of tensors) {
    if (t.dtype === 'int32') continue;
    const d = t.data();
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i]!)) fail(`${source}: tensor '${name}' holds ${d[i]} at index ${i}; the checkpoint cannot be resumed (a corrupt file, or weights that had diverged)`);
    }
  }
  return { meta, tensors, source };
}

/** Model weights of a decoded checkpoint, by parameter name. */
export function checkpointWeights(ckpt: DecodedCheckpoint<unknown>, prefix = 'model/'): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of ckpt.tensors) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), t);
  return out;
}

/** Loads weights and loop state into a trainer built from the same config. */
export function restoreTrainer(trainer: Trainer, ckpt: DecodedCheckpoint<unknown>): void {
  const { meta, tensors, source } = ckpt;
  try {
    trainer.task.model.loadStateDict(checkpointWeights(ckpt));
  } catch (e) {
    fail(`${source}: checkpoint does not fit this model: ${(e as Error).message}`);
  }
  const s = meta.state;
  const taskTensors = new Map<string, Tensor>();
  for (const name of s.task.tensorNames) {
    const t = tensors.get(`task/${name}`);
    if (!t) fail(`${source}: checkpoint lacks task tensor '${name}'`);
    taskTensors.set(name, t);
  }
  try {
    trainer.setState({
      ...s,
      optimizer: joinSlots('optim', s.optimizer, tensors, source),
      task: { json: s.task.json, tensors: taskTensors },
    });
  } catch (e) {
    // the task's own state (iterator positions, generator states) is validated by its setState
    fail(`${source}: checkpoint state does not fit this run: ${(e as Error).message}`);
  }
  if (s.bestOptimizer && trainer.plateau) {
    trainer.plateau.setBestSnapshot(checkpointWeights(ckpt, 'best/model/'), joinSlots('best/optim', s.bestOptimizer, tensors, source));
  }
}
