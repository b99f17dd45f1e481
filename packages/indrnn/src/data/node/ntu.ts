/**
 * Node reader for NTU RGB+D: a directory of raw `.skeleton` files (one per clip), or the authors'
 * preprocessed .npy arrays. Reading whole files into memory: the authors' full CS training array is
 * about 7 GB as float32, beyond what Node's readFileSync can return (2 GiB), so that layout is for
 * subsets; the raw .skeleton directory works at any size that fits in memory once parsed.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkChoice, checkInt } from '../../util/errors.js';
import { parseNpy, type NpyArray } from '../npy.js';
import {
  NTU_BENCHMARKS,
  ntuFromNpy,
  parseSkeleton,
  splitNtuClips,
  type NtuBenchmark,
  type NtuDataset,
  type NtuNpySide,
  type NtuSplitOptions,
  type SkeletonClip,
} from '../ntu.js';
import { findFile, isDirectory, missingData, readDataFile } from './files.js';

/** The authors' .npy file stems per benchmark (each with _label and _len companions). */
export const NTU_NPY_FILES: Record<NtuBenchmark, { train: string; test: string }> = {
  'cross-subject': { train: 'train_ntus', test: 'test_ntus' },
  'cross-view': { train: 'train_CV_ntus', test: 'test_CV_ntus' },
};

export interface LoadNtuOptions extends NtuSplitOptions {
  /** 'auto' (default) uses .skeleton files when the directory has any, else the .npy arrays. */
  format?: 'auto' | 'skeleton' | 'npy';
  /** Read only the first `limit` .skeleton files in name order (quick runs). */
  limit?: number;
}

export function readSkeletonFile(path: string): SkeletonClip {
  return parseSkeleton(readDataFile(path), basename(path));
}

export function readNpyFile(path: string): { array: NpyArray; name: string } {
  return { array: parseNpy(readDataFile(path), basename(path)), name: basename(path) };
}

function skeletonFiles(dir: string): string[] {
  if (!isDirectory(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.skeleton'))
    .sort();
}

function npyNames(benchmark: NtuBenchmark): string[] {
  const { train, test } = NTU_NPY_FILES[benchmark];
  return [train, test].flatMap((s) => [`${s}.npy`, `${s}_label.npy`, `${s}_len.npy`]);
}

function loadNpySide(dir: string, stem: string): NtuNpySide {
  return {
    data: readNpyFile(join(dir, `${stem}.npy`)),
    label: readNpyFile(join(dir, `${stem}_label.npy`)),
    len: readNpyFile(join(dir, `${stem}_len.npy`)),
  };
}

/** Loads NTU RGB+D from `dir` and splits it by the chosen benchmark. */
export function loadNtu(dir: string, opts: LoadNtuOptions): NtuDataset {
  const benchmark = checkChoice('loadNtu', 'benchmark', opts.benchmark, NTU_BENCHMARKS);
  const format = checkChoice('loadNtu', 'format', opts.format ?? 'auto', [
    'auto',
    'skeleton',
    'npy',
  ] as const);
  let files = format === 'npy' ? [] : skeletonFiles(dir);
  if (files.length > 0) {
    if (opts.limit !== undefined)
      files = files.slice(0, checkInt('loadNtu', 'limit', opts.limit, 1));
    const entries = files.map((f) => ({ name: f, clip: readSkeletonFile(join(dir, f)) }));
    return splitNtuClips(entries, { ...opts, benchmark });
  }
  const npy = npyNames(benchmark);
  if (format !== 'skeleton' && npy.every((f) => findFile(dir, [f]))) {
    const { train, test } = NTU_NPY_FILES[benchmark];
    return ntuFromNpy(
      { train: loadNpySide(dir, train), test: loadNpySide(dir, test) },
      { ...opts, benchmark },
    );
  }
  const expected = [];
  if (format !== 'npy') expected.push('*.skeleton files named SsssCcccPpppRrrrAaaa.skeleton');
  if (format !== 'skeleton') expected.push(`the ${benchmark} arrays ${npy.join(', ')}`);
  return missingData(
    `NTU RGB+D (${benchmark})`,
    dir,
    expected.length > 1 ? [`${expected[0]}, or ${expected[1]}`] : expected,
  );
}
