/**
 * The sequence file readers (JSON Lines, .npy, long-form CSV): the same sequences read from each
 * format, targets inferred and checked, standardisation over valid steps only, padded batches, and
 * a clear error naming the file and line (or row, or sequence) for every kind of bad input.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { data } from '../src/index.js';
import { parseSequencesCsv, readSequenceFile, npyCompanions, type CsvSequenceOptions } from '../src/node.js';
import { assertIndrnnError, npyBytes, withTempDir, writeFiles } from './data.helpers.js';
import { toCsv, toJsonl, toNpy, waves } from './sequences.helpers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const rows = (set: data.SequenceSet): number[][][] =>
  set.sequences.map((s) => Array.from({ length: s.length / set.features }, (_, t) => Array.from(s.subarray(t * set.features, (t + 1) * set.features))));

describe('sequence files: the same sequences from every format', () => {
  const s = waves(9, 1);
  const f32rows = s.x.map((x) => x.map((r) => r.map((v) => Math.fround(v))));

  it('JSON Lines', () => {
    const set = data.parseSequencesJsonl(enc(toJsonl(s)), 'w.jsonl');
    assert.equal(set.features, 2);
    assert.deepEqual(rows(set), f32rows);
    assert.deepEqual(set.labels, s.y);
    assert.equal(set.origins[3], 'line 4');
  });

  it('JSON Lines: a flat x is one feature a step; blank lines, a BOM and "id" are fine', () => {
    const set = data.parseSequencesJsonl('\uFEFF{"x": [1, 2, 3], "y": 0, "id": "a"}\n\n{"x": [4], "y": 1, "id": 7}\n', 'f.jsonl');
    assert.equal(set.features, 1);
    assert.deepEqual(rows(set), [[[1], [2], [3]], [[4]]]);
    assert.deepEqual(set.ids, ['a', '7']);
    assert.deepEqual(set.origins, ['line 1', 'line 3']);
  });

  it('.npy with lengths: padding is never read', () => {
    const b = toNpy(s);
    const set = data.parseSequencesNpy({ x: { bytes: b.x, name: 'x.npy' }, labels: null, lengths: { bytes: b.lengths, name: 'len.npy' } });
    assert.deepEqual(rows(set), f32rows);
    assert.equal(set.labels, null);
    const numeric = toNpy(waves(4, 1, { labels: 'numeric' }));
    const labelled = data.parseSequencesNpy({ x: { bytes: numeric.x, name: 'x.npy' }, labels: { bytes: numeric.y, name: 'y.npy' }, lengths: { bytes: numeric.lengths, name: 'len.npy' } });
    assert.deepEqual(labelled.labels, [1, 0, 1, 0]);
    // [N, T] is one feature a step; [N, K] labels are K regression targets
    const flat = data.parseSequencesNpy({ x: { bytes: npyBytes('<f8', [2, 3], [1, 2, 3, 4, 5, 6]), name: 'x.npy' }, labels: { bytes: npyBytes('<f4', [2, 2], [0.5, 1, 2, 3]), name: 'y.npy' } });
    assert.equal(flat.features, 1);
    assert.deepEqual(flat.labels, [[0.5, 1], [2, 3]]);
  });

  it('long-form CSV: rows grouped by id in order of first appearance; string labels stay strings', () => {
    const set = parseSequencesCsv(toCsv(s), 'w.csv');
    assert.deepEqual(rows(set), f32rows);
    assert.deepEqual(set.labels, s.y);
    assert.deepEqual(set.featureNames, ['f0', 'f1']);
    assert.deepEqual(set.ids, s.x.map((_, i) => `s${i}`));
    // interleaved rows, quoted fields, CRLF, named columns in another order
    const text = 'label,t,who,b,a\r\n"x, y",0,p,1,2\r\nz,0,q,5,6\r\n"x, y",1,p,3,4\r\n';
    const picked = parseSequencesCsv(text, 'i.csv', { idCol: 'who', featureCols: ['a', 'b'] });
    assert.deepEqual(rows(picked), [[[2, 1], [4, 3]], [[6, 5]]]);
    assert.deepEqual(picked.labels, ['x, y', 'z']);
    // numeric labels become numbers; several label columns a list of targets
    const numeric = parseSequencesCsv('id,v,y1,y2\na,1,0.5,2\na,2,0.5,2\nb,3,1,-1\n', 'r.csv', { labelCols: ['y1', 'y2'] });
    assert.deepEqual(numeric.labels, [[0.5, 2], [1, -1]]);
    assert.deepEqual(parseSequencesCsv('id,v,label\na,1,3\nb,2,0\n', 'n.csv').labels, [3, 0]);
    // no label column: no labels (prediction input)
    assert.equal(parseSequencesCsv('id,v\na,1\n', 'p.csv').labels, null);
  });

  it('reads files by extension (gzip too) and finds .npy companions by name', () => {
    withTempDir((dir) => {
      const b = toNpy(waves(6, 2, { labels: 'numeric' }));
      writeFiles(dir, { 'train_x.npy': b.x, 'train_y.npy': b.y, 'train_len.npy': b.lengths, 'w.jsonl': toJsonl(waves(3, 2)), 'w.jsonl.gz': gzipSync(toJsonl(waves(3, 2))), 'w.csv': toCsv(waves(3, 2)), 'w.tsv': toCsv(waves(3, 2)).replace(/,/g, '\t') });
      assert.deepEqual(npyCompanions(path.join(dir, 'train_x.npy')), { labels: path.join(dir, 'train_y.npy'), lengths: path.join(dir, 'train_len.npy') });
      const r = readSequenceFile(path.join(dir, 'train_x.npy'));
      assert.equal(r.format, 'npy');
      assert.equal(r.files.length, 3);
      assert.deepEqual(r.set.labels, [1, 0, 1, 0, 1, 0]);
      const j = readSequenceFile(path.join(dir, 'w.jsonl'));
      assert.deepEqual(rows(readSequenceFile(path.join(dir, 'w.csv')).set), rows(j.set));
      assert.deepEqual(rows(readSequenceFile(path.join(dir, 'w.tsv')).set), rows(j.set));
      assert.deepEqual(rows(readSequenceFile(path.join(dir, 'w.jsonl.gz')).set), rows(j.set));
      assertIndrnnError(() => readSequenceFile(path.join(dir, 'w.txt')), 'w.txt', 'unknown sequence file format', '.jsonl');
      assertIndrnnError(() => readSequenceFile(path.join(dir, 'nope.jsonl')), 'nope.jsonl', 'no such file');
      assertIndrnnError(() => readSequenceFile(path.join(dir, 'train_x.npy'), { labels: path.join(dir, 'gone.npy') }), 'gone.npy', 'no such file', 'labels of');
    });
  });
});

describe('sequence files: one label per step (perStep)', () => {
  const s = waves(5, 31, { labels: 'steps' });
  const numeric = waves(5, 31, { labels: 'steps-numeric' });

  it('the same step labels from JSON Lines, long-form CSV and .npy [N, T]', () => {
    const j = data.parseSequencesJsonl(toJsonl(s), 'p.jsonl', { perStep: true });
    assert.equal(j.labels, null);
    assert.deepEqual(j.stepLabels, s.y);
    const c = parseSequencesCsv(toCsv(s, { perStep: true }), 'p.csv', { perStep: true });
    assert.deepEqual(c.stepLabels, s.y);
    assert.deepEqual(rows(c), rows(j));
    const b = toNpy(numeric);
    const n = data.parseSequencesNpy({ x: { bytes: b.x, name: 'x.npy' }, labels: { bytes: b.y, name: 'y.npy' }, lengths: { bytes: b.lengths, name: 'len.npy' }, perStep: true });
    assert.deepEqual(n.stepLabels, numeric.y);
    // the flat view: one label per step, each with its origin
    const view = data.stepLabelView(j);
    assert.equal(view.labels!.length, s.x.reduce((a, x) => a + x.length, 0));
    assert.equal(view.origins[1], 'line 1, step 1');
    assert.deepEqual(data.inferTarget(view).spec, { kind: 'classify', numClasses: 2, classNames: ['down', 'up'] });
  });

  it('step labels that do not fit are errors naming the file, line and step', () => {
    assertIndrnnError(() => data.parseSequencesJsonl('{"x": [[1], [2]], "y": ["a"]}\n', 'p.jsonl', { perStep: true }), 'p.jsonl: line 1', '"y" has 1 label but "x" has 2 steps');
    assertIndrnnError(() => data.parseSequencesJsonl('{"x": [[1], [2]], "y": "a"}\n', 'p.jsonl', { perStep: true }), 'p.jsonl: line 1', 'one label per step');
    assertIndrnnError(() => data.parseSequencesJsonl('{"x": [[1]], "y": ["a"]}\n{"x": [[1]], "y": [1]}\n', 'p.jsonl', { perStep: true }), 'p.jsonl: line 2', 'labels of mixed type');
    assertIndrnnError(() => parseSequencesCsv('id,a,label\ns,1,x\ns,2,\n', 'p.csv', { perStep: true }), 'p.csv: line 3', 'label column "label" is empty');
    assertIndrnnError(() => parseSequencesCsv('id,a,l1,l2\ns,1,1,2\n', 'p.csv', { perStep: true, labelCols: ['l1', 'l2'] }), 'p.csv', '--per-step takes one label column');
    const b = toNpy(numeric);
    const x = { bytes: b.x, name: 'x.npy' };
    assertIndrnnError(() => data.parseSequencesNpy({ x, labels: { bytes: npyBytes('<i4', [5], [0, 1, 0, 1, 0]), name: 'y.npy' }, perStep: true }), 'y.npy', 'is not [N, T]', '--per-step');
    const view = data.stepLabelView(data.parseSequencesJsonl('{"x": [[1], [2]], "y": ["a", "b"]}\n', 'p.jsonl', { perStep: true }));
    const spec = data.inferTarget(view).spec;
    const other = data.stepLabelView(data.parseSequencesJsonl('{"x": [[1], [2], [3]], "y": ["a", "b", "c"]}\n', 'q.jsonl', { perStep: true }));
    assertIndrnnError(() => data.encodeTargets(other, spec), 'q.jsonl: line 1, step 2', 'label "c" is not one of the 2 classes');
    assertIndrnnError(() => data.stepLabelView(data.parseSequencesJsonl('{"x": [[1]]}\n', 'n.jsonl')), 'n.jsonl', 'no labels for each step');
  });
});

describe('sequence files: bad input names the file, the line and the problem', () => {
  const jsonl = (text: string): unknown => data.parseSequencesJsonl(text, 'bad.jsonl');
  const csv = (text: string, opts: CsvSequenceOptions = {}): unknown => parseSequencesCsv(text, 'bad.csv', opts);

  it('JSON Lines', () => {
    const ok = '{"x": [[1, 2], [3, 4]], "y": 0}\n';
    assertIndrnnError(() => jsonl(''), 'bad.jsonl', 'no sequences', 'empty');
    assertIndrnnError(() => jsonl(ok + '{"x": [[1, 2], [3]], "y": 0}\n'), 'bad.jsonl: line 2', 'step 1 has 1 feature', 'ragged');
    assertIndrnnError(() => jsonl(ok + '{"x": [[1, 2, 3]], "y": 0}\n'), 'bad.jsonl: line 2', '3 features a step', 'line 1 has 2');
    assertIndrnnError(() => jsonl(ok + '{"x": [[1, NaN]], "y": 0}\n'), 'bad.jsonl: line 2', 'not valid JSON', 'NaN and Infinity');
    assertIndrnnError(() => jsonl(ok + '{"x": [[1, null]], "y": 0}\n'), 'bad.jsonl: line 2', 'x[0][1] is null', 'NaN and Inf');
    assertIndrnnError(() => jsonl(ok + '{"x": [[1, "2"]], "y": 0}\n'), 'bad.jsonl: line 2', 'x[0][1] is "2"', 'not a finite number');
    assertIndrnnError(() => jsonl(ok + '{"x": [], "y": 0}\n'), 'bad.jsonl: line 2', '"x" is empty', 'at least one step');
    assertIndrnnError(() => jsonl(ok + '{"x": [[1, 2]], "y": "cat"}\n'), 'bad.jsonl: line 2', 'is a string', "line 1's is a number", 'mixed type');
    assertIndrnnError(() => jsonl(ok + '{"x": [[1, 2]]}\n'), 'bad.jsonl: line 2', 'has no "y"', 'every sequence or none');
    assertIndrnnError(() => jsonl('{"x": [[1, 2]], "y": [1, 2]}\n{"x": [[1, 2]], "y": [1]}\n'), 'bad.jsonl: line 2', '1 values', "line 1's has 2");
    assertIndrnnError(() => jsonl('{"x": [[1, 2]], "y": ["a", "b"]}\n'), 'bad.jsonl: line 1', 'for one label per step pass --per-step');
    assertIndrnnError(() => jsonl('[1, 2]\n'), 'bad.jsonl: line 1', 'expected an object');
    assertIndrnnError(() => jsonl('{"x": [[1, 2]], "y": true}\n'), 'bad.jsonl: line 1', '"y" must be a number, a string');
  });

  it('.npy', () => {
    const x = npyBytes('<f4', [3, 4, 2], Array.from({ length: 24 }, (_, i) => i));
    const npy = (over: Partial<data.NpySequenceInputs>): unknown => data.parseSequencesNpy({ x: { bytes: x, name: 'x.npy' }, ...over });
    assertIndrnnError(() => npy({ labels: { bytes: npyBytes('<i4', [2], [0, 1]), name: 'y.npy' } }), 'y.npy holds 2 labels but x.npy holds 3 sequences');
    assertIndrnnError(() => npy({ lengths: { bytes: npyBytes('<i4', [4], [1, 2, 3, 4]), name: 'len.npy' } }), 'len.npy holds 4 lengths but x.npy holds 3 sequences');
    assertIndrnnError(() => npy({ lengths: { bytes: npyBytes('<i4', [3], [1, 0, 3]), name: 'len.npy' } }), 'len.npy', 'sequence 1 has length 0');
    assertIndrnnError(() => npy({ lengths: { bytes: npyBytes('<i4', [3], [1, 5, 3]), name: 'len.npy' } }), 'len.npy', 'sequence 1 is 5, outside 1..4');
    assertIndrnnError(() => npy({ labels: { bytes: npyBytes('<f4', [3], [0, NaN, 1]), name: 'y.npy' } }), 'y.npy', 'sequence 1 is NaN');
    const nan = npyBytes('<f8', [2, 2, 1], [1, 2, 3, Infinity]);
    assertIndrnnError(() => data.parseSequencesNpy({ x: { bytes: nan, name: 'x.npy' } }), 'x.npy', 'sequence 1, step 1, feature 0 is Infinity');
    // padding past a length may hold anything: it is never read
    data.parseSequencesNpy({ x: { bytes: nan, name: 'x.npy' }, lengths: { bytes: npyBytes('<i4', [2], [2, 1]), name: 'len.npy' } });
    assertIndrnnError(() => data.parseSequencesNpy({ x: { bytes: npyBytes('<f4', [0, 3, 2], []), name: 'x.npy' } }), 'x.npy', 'holds no sequences');
    assertIndrnnError(() => data.parseSequencesNpy({ x: { bytes: npyBytes('<f4', [2, 0, 2], []), name: 'x.npy' } }), 'x.npy', 'zero steps');
    assertIndrnnError(() => data.parseSequencesNpy({ x: { bytes: npyBytes('<f4', [2], [1, 2]), name: 'x.npy' } }), 'x.npy', 'is not [N, T, F]');
  });

  it('long-form CSV', () => {
    const head = 'id,a,b,label\n';
    assertIndrnnError(() => csv(''), 'bad.csv', 'no rows', 'empty');
    assertIndrnnError(() => csv(head), 'bad.csv', 'no rows under it');
    assertIndrnnError(() => csv(head + 's1,1,2,0\ns1,1,0\n'), 'bad.csv: line 3', '3 fields', 'header has 4', 'ragged');
    assertIndrnnError(() => csv(head + 's1,1,2,0\ns1,1,nan,0\n'), 'bad.csv: line 3', 'column "b"', '"nan"', 'NaN and Inf');
    assertIndrnnError(() => csv(head + 's1,1,,0\n'), 'bad.csv: line 2', 'column "b" is empty');
    assertIndrnnError(() => csv(head + 's1,1,2,0\ns1,3,4,1\n'), 'bad.csv: line 3', 'sequence "s1" has label "1" here but "0" on line 2');
    assertIndrnnError(() => csv(head + ',1,2,0\n'), 'bad.csv: line 2', 'id column "id" is empty');
    assertIndrnnError(() => csv(head + 's1,1,2,inf\n'), 'bad.csv: line 2', 'label "inf"', 'not a finite number');
    assertIndrnnError(() => csv('seq,a,label\ns,1,0\n'), 'bad.csv', 'no id column "id"', '--id-col');
    assertIndrnnError(() => csv('id,a\ns,1\n', { requireLabels: true }), 'bad.csv', 'no label column "label"', '--label-col');
    assertIndrnnError(() => csv(head + 's,1,2,0\n', { featureCols: ['a', 'c'] }), 'bad.csv', 'no feature column "c"');
    assertIndrnnError(() => csv('id,a,a,label\n'), 'bad.csv: line 1', 'names column "a" twice');
    assertIndrnnError(() => csv('id,a,label\n"s,1,0\n'), 'bad.csv', 'not a readable CSV file', 'Quote Not Closed');
    assertIndrnnError(() => parseSequencesCsv(new Uint8Array([0x69, 0x64, 0xff, 0x0a]), 'bad.csv'), 'bad.csv', 'invalid UTF-8');
  });
});

describe('targets: inferred from the training labels, checked in every other file', () => {
  const set = (labels: data.SequenceLabel[]): data.SequenceSet => ({
    name: 'f.jsonl', features: 1, sequences: labels.map(() => Float32Array.of(0)), origins: labels.map((_, i) => `line ${i + 1}`), labels, ids: null, featureNames: null,
  });

  it('strings and non-negative integers classify; fractions and lists regress; --target overrides', () => {
    assert.deepEqual(data.inferTarget(set(['dog', 'cat', 'dog', 'ant'])).spec, { kind: 'classify', numClasses: 3, classNames: ['ant', 'cat', 'dog'] });
    assert.deepEqual(data.inferTarget(set([0, 3, 1])).spec, { kind: 'classify', numClasses: 4, classNames: null });
    assert.deepEqual(data.inferTarget(set([0.5, 3, 1])).spec, { kind: 'regress', outputs: 1 });
    assert.deepEqual(data.inferTarget(set([-1, 3])).spec, { kind: 'regress', outputs: 1 });
    assert.deepEqual(data.inferTarget(set([[1, 2], [3, 4]])).spec, { kind: 'regress', outputs: 2 });
    assert.deepEqual(data.inferTarget(set([0, 3, 1]), 'regress').spec, { kind: 'regress', outputs: 1 });
    assert.match(data.inferTarget(set([0, 1])).reason, /inferred from integer labels; --target regress overrides/);
    assert.match(data.inferTarget(set([-1, 1])).reason, /regression, 1 target a sequence, inferred from integer labels below 0 \(class indices start at 0\); --target classify overrides/);
  });

  it('labels that do not fit are errors naming the file and line', () => {
    assertIndrnnError(() => data.inferTarget(set([0, 1.5]), 'classify'), 'f.jsonl: line 2', 'label 1.5 is not a class index');
    assertIndrnnError(() => data.inferTarget(set(['a', 'b']), 'regress'), 'f.jsonl: line 1', 'class name', 'regression needs numbers');
    assertIndrnnError(() => data.inferTarget(set([2, 2, 2])), 'f.jsonl', 'only one class');
    assertIndrnnError(() => data.inferTarget(set([0, 200000])), 'f.jsonl: line 2', '200001 classes');
    assertIndrnnError(() => data.inferTarget({ ...set([0]), labels: null }), 'f.jsonl', 'no labels');
    const named = data.inferTarget(set(['a', 'b'])).spec;
    assert.deepEqual(Array.from((data.encodeTargets(set(['b', 'a', 'b']), named) as { classes: Int32Array }).classes), [1, 0, 1]);
    assertIndrnnError(() => data.encodeTargets(set(['a', 'zebra']), named), 'f.jsonl: line 2', 'label "zebra" is not one of the 2 classes', '"a", "b"');
    const indexed = data.inferTarget(set([0, 1, 2])).spec;
    assertIndrnnError(() => data.encodeTargets(set([0, 3]), indexed), 'f.jsonl: line 2', 'label 3 is not a class index of the training data', '0..2');
    assertIndrnnError(() => data.encodeTargets(set([[1], [2, 3]]), { kind: 'regress', outputs: 1 }), 'f.jsonl: line 2', 'has 2 values; this model regresses 1');
  });
});

describe('standardisation and batches', () => {
  it('mean and std per feature over valid steps only; a constant feature keeps std 1', () => {
    const seqs = [Float32Array.of(1, 5, 3, 5), Float32Array.of(5, 5)]; // F = 2: steps (1,5) (3,5) | (5,5)
    const st = data.fitStandardization(seqs, 2);
    assert.deepEqual(st.mean, [3, 5]);
    assert.ok(Math.abs(st.std[0]! - Math.sqrt(8 / 3)) < 1e-12);
    assert.equal(st.std[1], 1);
    assert.deepEqual(Array.from(data.standardize(Float32Array.of(3, 7), st)), [0, 2]);
  });

  it('batches are time-major, zero-padded, with lengths only when lengths differ', () => {
    const seqs = [Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6), Float32Array.of(7, 8, 9, 10)];
    const b = data.sequenceBatch(seqs, 2, [0, 1]);
    assert.deepEqual(b.x.shape, [2, 2, 2]);
    assert.deepEqual(Array.from(b.x.data()), [1, 2, 5, 6, 3, 4, 0, 0]);
    assert.deepEqual(Array.from(b.lengths!.data()), [2, 1]);
    assert.equal(data.sequenceBatch(seqs, 2, [0, 2]).lengths, null);
    assert.deepEqual(Array.from(data.indicesByLength(seqs)), [1, 0, 2]);
  });

  it('the sequences spec round-trips and rejects malformed files', () => {
    const spec: data.SequenceSpec = {
      format: 'indrnn-sequences', version: 1, features: 2, featureNames: ['a', 'b'], standardization: { mean: [0, 1], std: [1, 2] },
      target: { kind: 'classify', numClasses: 2, classNames: ['x', 'y'] }, longestTraining: 9,
    };
    assert.deepEqual(data.parseSequenceSpec(data.serializeSequenceSpec(spec), 's.json'), spec);
    assertIndrnnError(() => data.parseSequenceSpec('{', 's.json'), 's.json', 'not valid JSON');
    assertIndrnnError(() => data.parseSequenceSpec(JSON.stringify({ ...spec, standardization: { mean: [0], std: [1] } }), 's.json'), 's.json', '"standardization"');
    assertIndrnnError(() => data.parseSequenceSpec(JSON.stringify({ ...spec, target: { kind: 'classify', numClasses: 3, classNames: ['x'] } }), 's.json'), 's.json', '"target"');
  });
});
