#!/usr/bin/env node
/**
 * Writes MNIST digits as sequences of rows (T = 28 steps of F = 28 pixels, raw 0..255) for
 * `indrnn train sequences`, from the shipped MNIST test set (../shared/data/mnist relative to the
 * repo root): a seeded shuffle of its 10,000 digits cut into train, val and test files.
 *
 *   node scripts/mnist-sequences.mjs --out DIR [--formats jsonl,npy,csv] [--train 8000 --val 1000 --test 1000]
 *
 * Formats: DIR/{train,val,test}.jsonl ({"x": 28 rows, "y": digit}); DIR/{train,val,test}_x.npy
 * (float32 [N, 28, 28]) with _y.npy (int32 [N]) beside them; DIR/{train,val,test}.csv (long form:
 * id,p0..p27,label, one row per image row). The build must have run (npm run build).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Generator, data } from 'indrnn';
import { readDataFile } from 'indrnn/node';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    formats: { type: 'string', default: 'jsonl' },
    train: { type: 'string', default: '8000' },
    val: { type: 'string', default: '1000' },
    test: { type: 'string', default: '1000' },
    'data-dir': { type: 'string', default: path.join(REPO, '..', 'shared', 'data', 'mnist') },
    seed: { type: 'string', default: '2026' },
  },
});
if (!values.out) {
  console.error('usage: node scripts/mnist-sequences.mjs --out DIR [--formats jsonl,npy,csv] [--train 8000 --val 1000 --test 1000]');
  process.exit(2);
}
const dir = values['data-dir'];
const images = data.parseIdxImages(readDataFile(path.join(dir, 't10k-images-idx3-ubyte.gz')), 't10k-images');
const labels = data.parseIdxLabels(readDataFile(path.join(dir, 't10k-labels-idx1-ubyte.gz')), 't10k-labels', 10);
const counts = { train: Number(values.train), val: Number(values.val), test: Number(values.test) };
if (counts.train + counts.val + counts.test > images.count) throw new Error(`asked for ${counts.train + counts.val + counts.test} digits; the test set has ${images.count}`);
const order = new Generator(Number(values.seed)).permutation(images.count);
const R = images.rows;
const C = images.cols;
const P = R * C;
fs.mkdirSync(values.out, { recursive: true });

const rowsOf = (k) => Array.from({ length: R }, (_, r) => Array.from(images.pixels.subarray(k * P + r * C, k * P + (r + 1) * C)));
const label = (k) => labels[k];

let start = 0;
for (const split of ['train', 'val', 'test']) {
  const picks = Array.from(order.subarray(start, start + counts[split]));
  start += counts[split];
  for (const format of values.formats.split(',')) {
    if (format === 'jsonl') {
      const text = picks.map((k) => JSON.stringify({ x: rowsOf(k), y: label(k) }) + '\n').join('');
      fs.writeFileSync(path.join(values.out, `${split}.jsonl`), text);
    } else if (format === 'npy') {
      const x = new Float32Array(picks.length * P);
      picks.forEach((k, i) => x.set(images.pixels.subarray(k * P, (k + 1) * P), i * P));
      fs.writeFileSync(path.join(values.out, `${split}_x.npy`), data.encodeNpy([picks.length, R, C], x));
      fs.writeFileSync(path.join(values.out, `${split}_y.npy`), data.encodeNpy([picks.length], Int32Array.from(picks, label)));
    } else if (format === 'csv') {
      const lines = [['id', ...Array.from({ length: C }, (_, c) => `p${c}`), 'label'].join(',')];
      picks.forEach((k, i) => {
        for (const row of rowsOf(k)) lines.push([`d${i}`, ...row, label(k)].join(','));
      });
      fs.writeFileSync(path.join(values.out, `${split}.csv`), lines.join('\n') + '\n');
    } else {
      throw new Error(`unknown format '${format}'; expected jsonl, npy or csv`);
    }
  }
  console.log(`${split}: ${picks.length} digits (${values.formats})`);
}
