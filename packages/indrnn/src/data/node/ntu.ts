/**
 * Node reader for NTU RGB+D: a directory of raw `.skeleton` files (one per clip), or the authors'
 * preprocessed .npy arrays. The authors' full CS training array is about 7 GB as float32 (clips
 * padded to 300 frames), beyond what one read can return (2 GiB), so the clip array is read a clip
 * at a time from the file, each cut to its true length (about a quarter of the padded size).
 */
import { closeSync, fstatSync, openSync, readSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkChoice, checkInt } from '../../util/errors.js';
import { checkNpyDataSize, decodeNpyData, npyItemBytes, parseNpy, parseNpyHeader, type NpyArray } from '../npy.js';
import {
  NTU_BENCHMARKS,
  ntuFromNpy,
  parseSkeleton,
  splitNtuClips,
  type NtuBenchmark,
  type NtuDataset,
  npyArrayClipSource,
  type NpyClipSource,
  type NtuNpySide,
  type NtuSplitOptions,
  type SkeletonClip,
} from '../ntu.js';
import { findFile, isDirectory, missingData, readDataFile } from './files.js';
import { fail } from '../../util/errors.js';

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

/** Longest .npy prefix read to find the header (v2/v3 headers may be longer than v1's 64 KiB). */
const NPY_HEADER_PREFIX = 1 << 20;

/**
 * Opens a float .npy array for reading a range of elements at a time, without reading the file
 * whole (any size). Checks the header and that the file holds exactly the declared data. A gzipped
 * file cannot be read in ranges, so it is decompressed into memory instead. Call close() when done.
 */
export function openNpyClipFile(path: string): NpyClipSource & { close(): void } {
  const name = basename(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return fail(`${name}: cannot open ${path}: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const prefix = new Uint8Array(Math.min(size, NPY_HEADER_PREFIX));
    readSync(fd, prefix, 0, prefix.length, 0);
    if (prefix[0] === 0x1f && prefix[1] === 0x8b) {
      closeSync(fd);
      return { ...npyArrayClipSource(parseNpy(readDataFile(path), name), name), close() {} };
    }
    const h = parseNpyHeader(prefix, name);
    checkNpyDataSize(h, size - h.dataOffset, name);
    const item = npyItemBytes(h.descr);
    let open = true;
    return {
      name,
      descr: h.descr,
      shape: h.shape,
      read(start, count) {
        if (!open) fail(`${name}: read after close`);
        const bytes = new Uint8Array(count * item);
        let done = 0;
        while (done < bytes.length) {
          const n = readSync(fd, bytes, done, bytes.length - done, h.dataOffset + (start * item) + done);
          if (n === 0) fail(`${name}: file ended at byte ${h.dataOffset + start * item + done} while reading (was it truncated while open?)`);
          done += n;
        }
        const data = decodeNpyData(bytes, h.descr, count);
        return data instanceof Float32Array ? data : Float32Array.from(data as Float64Array);
      },
      close() {
        if (open) closeSync(fd);
        open = false;
      },
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
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

/** Runs fn with one side's arrays; the clip file stays open only while fn reads it. */
function withNpySide<R>(dir: string, stem: string, fn: (side: NtuNpySide) => R): R {
  const data = openNpyClipFile(join(dir, `${stem}.npy`));
  try {
    return fn({
      data,
      label: readNpyFile(join(dir, `${stem}_label.npy`)),
      len: readNpyFile(join(dir, `${stem}_len.npy`)),
    });
  } finally {
    data.close();
  }
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
    return withNpySide(dir, train, (trainSide) =>
      withNpySide(dir, test, (testSide) => ntuFromNpy({ train: trainSide, test: testSide }, { ...opts, benchmark })),
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
