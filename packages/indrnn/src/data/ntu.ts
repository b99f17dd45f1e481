/**
 * NTU RGB+D skeleton action recognition (60 actions, Kinect v2 skeletons of 25 joints).
 *
 * Raw `.skeleton` text format, one clip per file (NTU's own layout):
 *   line 1                 frame count F
 *   per frame              body count K
 *   per body               10 values: bodyID clipedEdges handLeftConfidence handLeftState
 *                          handRightConfidence handRightState isRestricted leanX leanY
 *                          trackingState
 *                          joint count (25)
 *                          25 lines of 12 values: x y z depthX depthY colorX colorY
 *                          orientationW orientationX orientationY orientationZ trackingState
 * We keep x y z (metres, camera space) of up to two bodies per frame.
 *
 * File names SsssCcccPpppRrrrAaaa.skeleton give setup, camera, performer, replication and action
 * (1..60; label = action − 1). Benchmarks: cross-subject trains on performers
 * CROSS_SUBJECT_TRAIN_PERFORMERS; cross-view trains on cameras 2 and 3. 5% of the training clips
 * are held out for validation (seeded), as the authors do.
 *
 * Model input (the authors' `data_reader.py`): each clip's frames are cut into T = 20 equal
 * segments and one random frame is taken from each (train and test alike); clips shorter than T
 * frames are zero-padded at a random start. Features per frame: 2 bodies × 25 joints × xyz = 150,
 * the second body all zeros when absent.
 *
 * Shape:
 *   clip   Float32Array [len, 150] = [len, 2, 25, 3]
 *   x      [T, B, 150] float32;  labels int32 [B]
 */
import type { Backend } from '../backend/backend.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { checkChoice, checkInt, checkNumber, fail } from '../util/errors.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import { decodeAscii } from './bytes.js';
import { npyToInt32, type NpyArray, type NpyDescr } from './npy.js';
import { holdOut, indexBatches } from './split.js';

export const NTU_JOINTS = 25;
export const NTU_BODIES = 2;
/** Values per frame: 2 bodies × 25 joints × (x, y, z). */
export const NTU_FEATURES = NTU_BODIES * NTU_JOINTS * 3;
export const NTU_CLASSES = 60;
export const NTU_SEQ_LEN = 20;

export const CROSS_SUBJECT_TRAIN_PERFORMERS: readonly number[] = [
  1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38,
];
export const CROSS_VIEW_TRAIN_CAMERAS: readonly number[] = [2, 3];

export type NtuBenchmark = 'cross-subject' | 'cross-view';
export const NTU_BENCHMARKS: readonly NtuBenchmark[] = ['cross-subject', 'cross-view'];

/** Values on a body line, and on a joint line. */
const BODY_INFO_VALUES = 10;
const JOINT_VALUES = 12;
/** Lines one body takes: info, joint count, 25 joints. */
const LINES_PER_BODY = 2 + NTU_JOINTS;

export interface SkeletonClip {
  /** [length, 150]: per frame body slot 0 then slot 1, each 25 joints × xyz; zeros where absent. */
  frames: Float32Array;
  length: number;
  /** IDs of the kept bodies, slot 0 first. */
  bodyIds: string[];
  /** Distinct bodies seen in the file (more than 2 means some were dropped). */
  bodiesSeen: number;
}

/** Walks the non-blank lines of a text, remembering 1-based line numbers for messages. */
class LineCursor {
  private index = 0;
  private readonly lines: string[];

  constructor(
    text: string,
    private readonly name: string,
  ) {
    this.lines = text.split('\n');
  }

  /**
   * Upper bound on the lines left (blank ones included); used to reject impossible counts early.
   */
  get left(): number {
    return this.lines.length - this.index;
  }

  get lineNumber(): number {
    return this.index;
  }

  /** Tokens of the next non-blank line, or null at the end. */
  peek(): string[] | null {
    while (this.index < this.lines.length) {
      const t = this.lines[this.index]!.trim();
      if (t !== '') return t.split(/\s+/);
      this.index++;
    }
    return null;
  }

  next(what: string): string[] {
    const tokens = this.peek();
    if (tokens === null)
      fail(`${this.name}: file ends after line ${this.lines.length}, expected ${what}`);
    this.index++;
    return tokens;
  }

  /** A line holding exactly one non-negative integer. */
  count(what: string): number {
    const tokens = this.next(what);
    if (tokens.length !== 1 || !/^\d+$/.test(tokens[0]!)) {
      fail(
        `${this.name}: line ${this.index}: expected ${what} (one integer), got ` +
          `${JSON.stringify(tokens.join(' ').slice(0, 60))}`,
      );
    }
    return Number(tokens[0]);
  }

  /** A line of exactly n finite numbers. */
  numbers(n: number, what: string): string[] {
    const tokens = this.next(what);
    if (tokens.length !== n)
      fail(
        `${this.name}: line ${this.index}: expected ${n} values (${what}), got ${tokens.length}`,
      );
    for (const t of tokens) {
      if (!Number.isFinite(Number(t)))
        fail(
          `${this.name}: line ${this.index}: ${JSON.stringify(t.slice(0, 30))} is not a number ` +
            `(${what})`,
        );
    }
    return tokens;
  }
}

interface BodyTrack {
  id: string;
  /** Order of first appearance (frame-major), for slot assignment and tie-breaks. */
  order: number;
  framesPresent: number;
  /** Σ over consecutive present frames of Σ|Δxyz|: how much the body moves. */
  motion: number;
  last: Float32Array | null;
  lastFrame: number;
}

/**
 * Parses one .skeleton file into a [frames, 150] clip. Bodies are matched across frames by bodyID.
 * More than two bodies (Kinect false detections, or a body re-acquired under a new ID) keep the two
 * present in the most frames, ties going to the one that moves more: noise detections are short and
 * still, so this keeps the actors. The kept bodies go to slots in order of first appearance.
 */
export function parseSkeleton(input: Uint8Array | string, name = 'clip.skeleton'): SkeletonClip {
  const cur = new LineCursor(decodeAscii(input, name, 'a .skeleton file'), name);
  const frameCount = cur.count('the frame count');
  // Each frame needs at least its body-count line: reject impossible counts before allocating.
  if (frameCount > cur.left) {
    fail(
      `${name}: line ${cur.lineNumber} declares ${frameCount} frames, but only ${cur.left} lines ` +
        `follow`,
    );
  }
  const perFrame: { id: string; joints: Float32Array }[][] = [];
  for (let f = 0; f < frameCount; f++) {
    const bodies = cur.count(`the body count of frame ${f + 1} of ${frameCount}`);
    if (bodies * LINES_PER_BODY > cur.left) {
      fail(
        `${name}: line ${cur.lineNumber} declares ${bodies} bodies in frame ${f + 1}, needing ` +
          `${bodies * LINES_PER_BODY} lines, but only ${cur.left} follow`,
      );
    }
    const frame: { id: string; joints: Float32Array }[] = [];
    for (let k = 0; k < bodies; k++) {
      const info = cur.numbers(BODY_INFO_VALUES, 'bodyID and 9 body properties');
      let id = info[0]!;
      // A repeated ID within one frame is a distinct body for our purposes.
      while (frame.some((b) => b.id === id)) id += "'";
      const joints = cur.count(`the joint count of body ${k + 1} in frame ${f + 1}`);
      if (joints !== NTU_JOINTS)
        fail(
          `${name}: line ${cur.lineNumber}: joint count ${joints}, expected ${NTU_JOINTS} ` +
            `(Kinect v2)`,
        );
      const xyz = new Float32Array(NTU_JOINTS * 3);
      for (let j = 0; j < NTU_JOINTS; j++) {
        const v = cur.numbers(
          JOINT_VALUES,
          'x y z depthX depthY colorX colorY orientationW X Y Z trackingState',
        );
        xyz[3 * j] = Number(v[0]);
        xyz[3 * j + 1] = Number(v[1]);
        xyz[3 * j + 2] = Number(v[2]);
      }
      frame.push({ id, joints: xyz });
    }
    perFrame.push(frame);
  }
  if (cur.peek() !== null) {
    fail(
      `${name}: line ${cur.lineNumber + 1}: unexpected content after the last of ${frameCount} ` +
        `frames`,
    );
  }
  return assembleClip(perFrame);
}

/** Picks up to two bodies and lays them out as [frames, 150]. */
function assembleClip(perFrame: { id: string; joints: Float32Array }[][]): SkeletonClip {
  const tracks = new Map<string, BodyTrack>();
  perFrame.forEach((frame, f) => {
    for (const body of frame) {
      let t = tracks.get(body.id);
      if (!t) {
        t = {
          id: body.id,
          order: tracks.size,
          framesPresent: 0,
          motion: 0,
          last: null,
          lastFrame: -2,
        };
        tracks.set(body.id, t);
      }
      if (t.last && t.lastFrame === f - 1) {
        for (let i = 0; i < body.joints.length; i++)
          t.motion += Math.abs(body.joints[i]! - t.last[i]!);
      }
      t.framesPresent++;
      t.last = body.joints;
      t.lastFrame = f;
    }
  });
  const kept = [...tracks.values()]
    .sort((a, b) => b.framesPresent - a.framesPresent || b.motion - a.motion || a.order - b.order)
    .slice(0, NTU_BODIES)
    .sort((a, b) => a.order - b.order);
  const slot = new Map(kept.map((t, s) => [t.id, s]));
  const frames = new Float32Array(perFrame.length * NTU_FEATURES);
  perFrame.forEach((frame, f) => {
    for (const body of frame) {
      const s = slot.get(body.id);
      if (s !== undefined) frames.set(body.joints, f * NTU_FEATURES + s * NTU_JOINTS * 3);
    }
  });
  return {
    frames,
    length: perFrame.length,
    bodyIds: kept.map((t) => t.id),
    bodiesSeen: tracks.size,
  };
}

/** What an NTU file name says about its clip. */
export interface NtuClipInfo {
  setup: number;
  camera: number;
  performer: number;
  replication: number;
  /** 1..60 (1..120 in NTU RGB+D 120). */
  action: number;
  /** action − 1, the class index. */
  label: number;
}

/** Parses SsssCcccPpppRrrrAaaa.skeleton (a leading directory is ignored). */
export function parseNtuFileName(fileName: string): NtuClipInfo {
  const base = fileName.split(/[\\/]/).pop()!;
  const m = /^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})\.skeleton$/.exec(base);
  if (!m)
    fail(
      `${fileName}: not an NTU clip name; expected SsssCcccPpppRrrrAaaa.skeleton, e.g. ` +
        `S001C002P003R002A013.skeleton`,
    );
  const [setup, camera, performer, replication, action] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (action < 1 || action > 120) fail(`${fileName}: action ${action} is outside 1..120`);
  return { setup, camera, performer, replication, action, label: action - 1 };
}

/** Whether a clip belongs to the training side of a benchmark. */
export function isTrainingClip(info: NtuClipInfo, benchmark: NtuBenchmark): boolean {
  return benchmark === 'cross-subject'
    ? CROSS_SUBJECT_TRAIN_PERFORMERS.includes(info.performer)
    : CROSS_VIEW_TRAIN_CAMERAS.includes(info.camera);
}

/** A set of variable-length clips. */
export interface ClipSet {
  /** Each [length_i, 150]. */
  clips: Float32Array[];
  /** int32 [N]: frame count of each clip. */
  lengths: Int32Array;
  /** int32 [N]: class index. */
  labels: Int32Array;
  /** File names (or "train_ntus.npy[i]"), for error analysis. */
  names: string[];
}

export interface NtuDataset {
  benchmark: NtuBenchmark;
  train: ClipSet;
  valid: ClipSet;
  test: ClipSet;
  numClasses: number;
  /** Clips left out (no frames), with the reason. */
  skipped: string[];
  note: string;
}

function clipSet(
  items: { clip: Float32Array; length: number; label: number; name: string }[],
): ClipSet {
  return {
    clips: items.map((i) => i.clip),
    lengths: Int32Array.from(items, (i) => i.length),
    labels: Int32Array.from(items, (i) => i.label),
    names: items.map((i) => i.name),
  };
}

function pick<T>(items: T[], idx: Int32Array): T[] {
  return Array.from(idx, (i) => items[i]!);
}

export interface NtuSplitOptions {
  benchmark: NtuBenchmark;
  validFraction?: number;
  /** Drives the validation hold-out. */
  generator?: Generator;
}

/** Splits parsed .skeleton clips by benchmark and holds out validation clips from training. */
export function splitNtuClips(
  entries: readonly { name: string; clip: SkeletonClip }[],
  opts: NtuSplitOptions,
): NtuDataset {
  const benchmark = checkChoice('splitNtuClips', 'benchmark', opts.benchmark, NTU_BENCHMARKS);
  const validFraction = checkNumber(
    'splitNtuClips',
    'validFraction',
    opts.validFraction ?? 0.05,
    0,
    0.5,
  );
  const pool: { clip: Float32Array; length: number; label: number; name: string }[] = [];
  const test: typeof pool = [];
  const skipped: string[] = [];
  let maxAction = 0;
  for (const e of entries) {
    const info = parseNtuFileName(e.name);
    maxAction = Math.max(maxAction, info.action);
    if (e.clip.length === 0) {
      skipped.push(`${e.name}: no frames`);
      continue;
    }
    const item = { clip: e.clip.frames, length: e.clip.length, label: info.label, name: e.name };
    (isTrainingClip(info, benchmark) ? pool : test).push(item);
  }
  const { train, valid } = holdOut(
    pool.length,
    validFraction,
    opts.generator ?? defaultGenerator(),
  );
  const ds = {
    benchmark,
    train: clipSet(pick(pool, train)),
    valid: clipSet(pick(pool, valid)),
    test: clipSet(test),
    numClasses: maxAction > NTU_CLASSES ? 120 : NTU_CLASSES,
    skipped,
  };
  return { ...ds, note: ntuNote(ds, '.skeleton files') };
}

function ntuNote(ds: Omit<NtuDataset, 'note'>, source: string): string {
  const skipped = ds.skipped.length ? `, ${ds.skipped.length} skipped` : '';
  return (
    `NTU RGB+D ${ds.benchmark} from ${source}: train ${ds.train.clips.length} + valid ` +
    `${ds.valid.clips.length}, test ${ds.test.clips.length}${skipped}`
  );
}

/**
 * The padded clip array of the authors' layout, read a clip at a time: in memory, or straight from
 * the file (the full cross-subject training array is about 7 GB, more than one read can return).
 */
export interface NpyClipSource {
  name: string;
  descr: NpyDescr;
  shape: readonly number[];
  /** Elements [start, start + count) in C order, as float32. */
  read(start: number, count: number): Float32Array;
}

/** A clip source over an array already in memory (float32 is viewed in place, float64 converted). */
export function npyArrayClipSource(array: NpyArray, name: string): NpyClipSource {
  return {
    name,
    descr: array.descr,
    shape: array.shape,
    read(start, count) {
      const src = (array.data as Float32Array | Float64Array).subarray(start, start + count);
      return src instanceof Float32Array ? src : Float32Array.from(src);
    },
  };
}

/** The three arrays of one side in the authors' .npy layout, with names for messages. */
export interface NtuNpySide {
  data: NpyClipSource;
  label: { array: NpyArray; name: string };
  len: { array: NpyArray; name: string };
}

/**
 * Views the authors' padded arrays as clips: data (N, F, 50, 3) or (N, F, 150), true length in len.
 */
function npySide(
  side: NtuNpySide,
): { clip: Float32Array; length: number; label: number; name: string }[] {
  const { data, label, len } = side;
  const s = data.shape;
  const features = s.slice(2).reduce((a, d) => a * d, 1);
  if (s.length < 3 || features !== NTU_FEATURES) {
    fail(`${data.name}: shape (${s.join(', ')}), expected (N, frames, 50, 3) or (N, frames, 150)`);
  }
  if (data.descr !== '<f4' && data.descr !== '<f8')
    fail(`${data.name}: dtype ${data.descr}, expected float ('<f4' or '<f8')`);
  const [n, maxFrames] = s as [number, number];
  const checkVector = (a: { array: NpyArray; name: string }): void => {
    const sh = a.array.shape;
    if (!(sh[0] === n && (sh.length === 1 || (sh.length === 2 && sh[1] === 1)))) {
      fail(`${a.name}: shape (${sh.join(', ')}), expected (${n},) to match ${data.name}`);
    }
  };
  checkVector(label);
  checkVector(len);
  const labels = npyToInt32(label.array, label.name, 0, 119);
  const lengths = npyToInt32(len.array, len.name, 0, maxFrames);
  const per = maxFrames * NTU_FEATURES;
  const out = [];
  for (let i = 0; i < n; i++) {
    const l = lengths[i]!;
    // only the true length: the padding after it is never read
    const clip = data.read(i * per, l * NTU_FEATURES);
    out.push({ clip, length: l, label: labels[i]!, name: `${data.name}[${i}]` });
  }
  return out;
}

/** Builds the dataset from the authors' .npy arrays (train_ntus*, test_ntus* or the _CV_ ones). */
export function ntuFromNpy(
  sides: { train: NtuNpySide; test: NtuNpySide },
  opts: NtuSplitOptions,
): NtuDataset {
  const benchmark = checkChoice('ntuFromNpy', 'benchmark', opts.benchmark, NTU_BENCHMARKS);
  const validFraction = checkNumber(
    'ntuFromNpy',
    'validFraction',
    opts.validFraction ?? 0.05,
    0,
    0.5,
  );
  const pool = npySide(sides.train);
  const test = npySide(sides.test);
  const { train, valid } = holdOut(
    pool.length,
    validFraction,
    opts.generator ?? defaultGenerator(),
  );
  const maxLabel = [...pool, ...test].reduce((m, c) => Math.max(m, c.label), 0);
  const ds = {
    benchmark,
    train: clipSet(pick(pool, train)),
    valid: clipSet(pick(pool, valid)),
    test: clipSet(test),
    numClasses: maxLabel >= NTU_CLASSES ? 120 : NTU_CLASSES,
    skipped: [],
  };
  return { ...ds, note: ntuNote(ds, `${sides.train.data.name} / ${sides.test.data.name}`) };
}

/**
 * Which frame feeds each of the seqLen steps (−1 = a zero frame). For length >= seqLen the clip is
 * cut into seqLen equal segments [⌊j·len/T⌋, ⌊(j+1)·len/T⌋) and one frame is drawn uniformly from
 * each. Shorter clips are placed whole at a random start in [0, T − len] and padded with zeros.
 *
 * This is the papers' description; the authors' code differs in details (integer segment length
 * with the remainder in the last segment, a contiguous random window when len < 2T, and a start
 * drawn from [0, max(T − len, T/4)) that may crop the clip).
 */
export function sampleFrameIndices(length: number, seqLen: number, gen: Generator): Int32Array {
  const idx = new Int32Array(seqLen).fill(-1);
  if (length >= seqLen) {
    for (let j = 0; j < seqLen; j++) {
      const lo = Math.floor((j * length) / seqLen);
      const hi = Math.floor(((j + 1) * length) / seqLen);
      idx[j] = lo + gen.int(hi - lo);
    }
  } else if (length > 0) {
    const start = gen.int(seqLen - length + 1);
    for (let k = 0; k < length; k++) idx[start + k] = k;
  }
  return idx;
}

export interface NtuBatch {
  /** [T, B, 150] float32 */
  x: Tensor;
  /** int32 [B] */
  labels: Tensor;
  indices: Int32Array;
}

export interface NtuSampleOptions {
  /** Steps per sample (default 20). */
  seqLen?: number;
  generator?: Generator;
  backend?: Backend;
}

/** One sampling of the given clips: x [T, B, 150]. Random draws: per clip, its frame choices. */
export function ntuBatch(set: ClipSet, indices: Int32Array, opts: NtuSampleOptions = {}): NtuBatch {
  const T = checkInt('ntuBatch', 'seqLen', opts.seqLen ?? NTU_SEQ_LEN, 1);
  const gen = opts.generator ?? defaultGenerator();
  const B = indices.length;
  const x = new Float32Array(T * B * NTU_FEATURES);
  const labels = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const item = indices[b]!;
    const clip = set.clips[item];
    if (!clip) fail(`ntuBatch: index ${item} is outside the clip set (0..${set.clips.length - 1})`);
    labels[b] = set.labels[item]!;
    const frames = sampleFrameIndices(set.lengths[item]!, T, gen);
    for (let t = 0; t < T; t++) {
      const f = frames[t]!;
      if (f >= 0)
        x.set(clip.subarray(f * NTU_FEATURES, (f + 1) * NTU_FEATURES), (t * B + b) * NTU_FEATURES);
    }
  }
  return {
    x: tensor(x, [T, B, NTU_FEATURES], 'float32', opts.backend),
    labels: tensor(labels, [B], 'int32', opts.backend),
    indices: indices.slice(),
  };
}

export interface NtuBatchOptions extends NtuSampleOptions {
  batchSize: number;
  /** Default true (pass false for evaluation). */
  shuffle?: boolean;
  dropLast?: boolean;
}

/** One epoch of batches, each a fresh random sampling of its clips. */
export function* ntuBatches(set: ClipSet, opts: NtuBatchOptions): IterableIterator<NtuBatch> {
  const gen = opts.generator ?? defaultGenerator();
  const batches = indexBatches('ntuBatches', set.clips.length, {
    batchSize: opts.batchSize,
    shuffle: opts.shuffle ?? true,
    dropLast: opts.dropLast ?? false,
    generator: gen,
  });
  for (const indices of batches) yield ntuBatch(set, indices, { ...opts, generator: gen });
}

export interface NtuEvalBatch {
  /** `samplings` independent samplings of the same clips, each [T, B, 150]; sum their logits. */
  xs: Tensor[];
  labels: Tensor;
  indices: Int32Array;
}

/**
 * Test-time averaging: the authors sum the logits of 20 (or 40) random samplings of each test clip.
 * Yields the clips in order, each batch with `samplings` independent samplings.
 */
export function* ntuEvalBatches(
  set: ClipSet,
  opts: NtuSampleOptions & { batchSize: number; samplings: number },
): IterableIterator<NtuEvalBatch> {
  const k = checkInt('ntuEvalBatches', 'samplings', opts.samplings, 1);
  const gen = opts.generator ?? defaultGenerator();
  const batches = indexBatches('ntuEvalBatches', set.clips.length, {
    batchSize: opts.batchSize,
    shuffle: false,
    dropLast: false,
    generator: gen,
  });
  for (const indices of batches) {
    const xs: Tensor[] = [];
    let labels: Tensor | null = null;
    for (let s = 0; s < k; s++) {
      const batch = ntuBatch(set, indices, { ...opts, generator: gen });
      xs.push(batch.x);
      labels ??= batch.labels;
    }
    yield { xs, labels: labels!, indices: indices.slice() };
  }
}
