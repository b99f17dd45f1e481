/**
 * Helpers for the data tests: where the shared real data lives, temp directories, and writers for
 * small files in the real formats (written here independently of the library's parsers, so a
 * round trip checks the parser against the format, not against itself).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IndrnnError, type Generator } from '../src/index.js';
import { skipOrFailInCI } from '../src/testing/node.js';

/** The repo root: this file runs from packages/indrnn/dist/test/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** ../shared/data relative to the repo root (read-only real data; absent on some machines). */
export const SHARED_DATA = resolve(REPO_ROOT, '../shared/data');

/**
 * A node:test `skip` value: false when every path exists, else a message naming what is missing.
 * Under CI=true a missing path throws instead (skipOrFailInCI): CI always has ../shared/data.
 */
export function skipUnless(...paths: string[]): string | false {
  const missing = paths.filter((p) => !existsSync(p));
  return skipOrFailInCI(
    missing.length ? `real data absent: ${missing.join(', ')} (tests read it from ../shared/data)` : false,
  );
}

/** A fresh temp directory, removed after the callback. */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'indrnn-data-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function writeFiles(dir: string, files: Record<string, Uint8Array | string>): void {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

/** Asserts that fn throws an IndrnnError whose message contains every fragment. */
export function assertIndrnnError(fn: () => unknown, ...fragments: string[]): IndrnnError {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(
    caught !== null,
    `expected an IndrnnError containing ${JSON.stringify(fragments)}, nothing was thrown`,
  );
  assert.ok(
    caught instanceof IndrnnError,
    `expected IndrnnError, got ${(caught as Error)?.name}: ${(caught as Error)?.message}`,
  );
  for (const f of fragments)
    assert.ok(
      caught.message.includes(f),
      `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(f)}`,
    );
  return caught;
}

/** An MNIST-format IDX file, written by hand (big-endian header). */
export function idxBytes(typeCode: number, dims: number[], values: ArrayLike<number>): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + values.length);
  out[2] = typeCode;
  out[3] = dims.length;
  dims.forEach((d, i) => {
    out[4 + 4 * i] = (d >>> 24) & 0xff;
    out[5 + 4 * i] = (d >>> 16) & 0xff;
    out[6 + 4 * i] = (d >>> 8) & 0xff;
    out[7 + 4 * i] = d & 0xff;
  });
  for (let i = 0; i < values.length; i++) out[header + i] = values[i]!;
  return out;
}

/** n images of rows×cols with pixel (k, t) = (31·k + 7·t) mod 256, and labels k mod 10. */
export function tinyMnist(
  n: number,
  rows = 4,
  cols = 4,
): { images: Uint8Array; labels: Uint8Array; pixel: (k: number, t: number) => number } {
  const pixel = (k: number, t: number): number => (31 * k + 7 * t) % 256;
  const px = new Uint8Array(n * rows * cols);
  for (let k = 0; k < n; k++)
    for (let t = 0; t < rows * cols; t++) px[k * rows * cols + t] = pixel(k, t);
  const lab = Uint8Array.from({ length: n }, (_, k) => k % 10);
  return { images: idxBytes(0x08, [n, rows, cols], px), labels: idxBytes(0x08, [n], lab), pixel };
}

/** One body in one frame of a .skeleton file: its ID and 25 joints × xyz as decimal strings. */
export interface SkeletonBody {
  id: string;
  xyz: string[];
}

/**
 * Writes the NTU .skeleton text format with CRLF line ends, as the real files have. The values the
 * parser drops (depth/colour coordinates, orientation, tracking state) are filled with plausible
 * numbers so a parser that read the wrong columns would fail the round trip.
 */
export function skeletonText(frames: SkeletonBody[][]): string {
  const lines: string[] = [String(frames.length)];
  frames.forEach((bodies, f) => {
    lines.push(String(bodies.length));
    for (const b of bodies) {
      lines.push(`${b.id} 0 1 1 1 1 0 0.1175 -0.2063 2`);
      lines.push('25');
      for (let j = 0; j < 25; j++) {
        const [x, y, z] = [b.xyz[3 * j]!, b.xyz[3 * j + 1]!, b.xyz[3 * j + 2]!];
        lines.push(
          `${x} ${y} ${z} ${250 + j}.5 ${180 + f}.25 ${900 + j}.75 ${520 + f}.125 0.1 0.2 0.3 0.4 2`,
        );
      }
    }
  });
  return lines.join('\r\n') + '\r\n';
}

/** 25 joints of random xyz with 7 decimals, like the real files. */
export function randomJoints(gen: Generator, offset = 0): string[] {
  return Array.from({ length: 75 }, () => (offset + gen.normal()).toFixed(7));
}

/** The float32 values a parser must produce for the decimal strings. */
export function f32(values: readonly string[]): number[] {
  return values.map((v) => Math.fround(Number(v)));
}

/** A .npy v1 file written by hand: header dict padded to 64 bytes, then little-endian data. */
export function npyBytes(descr: string, shape: number[], values: ArrayLike<number>): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const size = Number(descr.slice(2));
  const out = new Uint8Array(10 + header.length + size * values.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (descr === '<f4') view.setFloat32(4 * i, v, true);
    else if (descr === '<f8') view.setFloat64(8 * i, v, true);
    else if (descr === '<i4') view.setInt32(4 * i, v, true);
    else view.setBigInt64(8 * i, BigInt(v), true);
  }
  return out;
}
