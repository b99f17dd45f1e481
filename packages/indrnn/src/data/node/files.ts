/**
 * File access for the data loaders (Node only). Every failure is an IndrnnError: a missing data set
 * names the directory searched, every file expected there and the `--data-dir` flag; an unreadable
 * or corrupt file names the file and what went wrong.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fail } from '../../util/errors.js';
import { isGzip } from '../bytes.js';

/**
 * Decompressed sizes above this are refused (a corrupt or hostile header must not exhaust memory).
 */
export const DEFAULT_MAX_DATA_BYTES = 2 ** 31 - 1;

function reason(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err.code ? `${err.code}: ${err.message ?? ''}` : String(err.message ?? e);
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The whole file, or an IndrnnError naming it. */
export function readFileBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    return fail(`${path}: cannot read the file (${reason(e)})`);
  }
}

/**
 * Gunzips bytes that start with the gzip magic 1f 8b and returns other bytes unchanged. zlib's own
 * errors (bad header, CRC mismatch, unexpected end) are rethrown as IndrnnError naming the file.
 */
export function gunzipIfNeeded(
  bytes: Uint8Array,
  name: string,
  maxBytes = DEFAULT_MAX_DATA_BYTES,
): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (e) {
    return fail(
      `${name}: gzip data is corrupt, truncated or too large (${reason(e)}); re-download the file`,
    );
  }
}

/** Reads a data file, gunzipping it when it is gzip-compressed. */
export function readDataFile(path: string, maxBytes = DEFAULT_MAX_DATA_BYTES): Uint8Array {
  return gunzipIfNeeded(readFileBytes(path), basename(path), maxBytes);
}

/** The first of `names` that is a file in `dir`, or null. */
export function findFile(dir: string, names: readonly string[]): string | null {
  for (const n of names) {
    const p = join(dir, n);
    if (isFile(p)) return p;
  }
  return null;
}

/** Fails with the message every loader uses for a data set it cannot find. */
export function missingData(
  dataset: string,
  dir: string,
  expected: readonly string[],
  detail = '',
): never {
  const where = resolve(dir);
  const exists = isDirectory(where) ? '' : ' (that directory does not exist)';
  return fail(
    `${dataset} not found: searched ${where}${exists} for ${expected.join(', ')}` +
      `${detail ? `; ${detail}` : ''}. Pass --data-dir DIR with a directory that holds these files`,
  );
}
