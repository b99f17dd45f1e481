/**
 * NTU RGB+D: the .skeleton parser (on files written here in the real format), file names and the
 * benchmark splits, 20-segment frame sampling, test-time multi-sampling, and the .npy layout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, data } from '../src/index.js';
import { loadNtu, openNpyClipFile, readSkeletonFile } from '../src/node.js';
import {
  assertIndrnnError,
  f32,
  npyBytes,
  randomJoints,
  skeletonText,
  withTempDir,
  writeFiles,
  type SkeletonBody,
} from './data.helpers.js';

/** A body whose joint 0 x coordinate is `marker` (to recognise frames after sampling). */
function markedBody(id: string, marker: number): SkeletonBody {
  const xyz = Array.from({ length: 75 }, (_, i) =>
    i === 0 ? marker.toFixed(7) : (0.001 * i).toFixed(7),
  );
  return { id, xyz };
}

/** A clip of `length` frames with one body; frame f is marked f + 1 (0 stays "padding"). */
function markedClip(length: number, id = '72057594037931101'): string {
  return skeletonText(Array.from({ length }, (_, f) => [markedBody(id, f + 1)]));
}

describe('.skeleton parser', () => {
  it('round-trips x y z of two bodies exactly; an absent second body is zeros', () => {
    const gen = new Generator(1);
    const a = (f: number): SkeletonBody => ({ id: '72057594037931101', xyz: randomJoints(gen, f) });
    const b = (f: number): SkeletonBody => ({
      id: '72057594037931102',
      xyz: randomJoints(gen, -f),
    });
    const frames = [[a(0), b(0)], [a(1), b(1)], [a(2)]];
    const clip = data.parseSkeleton(skeletonText(frames), 'S001C001P001R001A001.skeleton');
    assert.equal(clip.length, 3);
    assert.equal(clip.frames.length, 3 * 150);
    assert.deepEqual(clip.bodyIds, ['72057594037931101', '72057594037931102']);
    assert.equal(clip.bodiesSeen, 2);
    const expected = [
      ...f32(frames[0]![0]!.xyz),
      ...f32(frames[0]![1]!.xyz),
      ...f32(frames[1]![0]!.xyz),
      ...f32(frames[1]![1]!.xyz),
      ...f32(frames[2]![0]!.xyz),
      ...new Array(75).fill(0),
    ];
    assert.deepEqual(Array.from(clip.frames), expected);
    // the same bytes through the file reader
    withTempDir((dir) => {
      writeFiles(dir, { 'S001C001P001R001A001.skeleton': skeletonText(frames) });
      assert.deepEqual(
        Array.from(readSkeletonFile(join(dir, 'S001C001P001R001A001.skeleton')).frames),
        expected,
      );
    });
  });

  it('matches bodies by ID across frames and slots them by first appearance', () => {
    // body B appears first in frame 0, body A joins in frame 1 and is listed first there
    const text = skeletonText([
      [markedBody('72057594037931102', 1)],
      [markedBody('72057594037931101', 2), markedBody('72057594037931102', 3)],
    ]);
    const clip = data.parseSkeleton(text, 'c');
    assert.deepEqual(clip.bodyIds, ['72057594037931102', '72057594037931101']);
    const x0 = (f: number, slot: number): number => clip.frames[f * 150 + slot * 75]!;
    assert.deepEqual([x0(0, 0), x0(0, 1), x0(1, 0), x0(1, 1)], [1, 0, 3, 2]);
  });

  it('with more than two bodies keeps the two present longest, ties going to the one that moves more', () => {
    const still = (f: number): SkeletonBody => markedBody('72057594037931204', 5 + 0 * f);
    const frames = Array.from({ length: 4 }, (_, f) => {
      const bodies = [markedBody('72057594037931201', f), markedBody('72057594037931202', 10 * f)];
      if (f >= 2) bodies.push(markedBody('72057594037931203', 7));
      return bodies;
    });
    let clip = data.parseSkeleton(skeletonText(frames), 'c');
    assert.deepEqual(clip.bodyIds, ['72057594037931201', '72057594037931202']);
    assert.equal(clip.bodiesSeen, 3);
    // equal frame counts: 'still' never moves, '72057594037931202' does, so '72057594037931202' is kept
    const tie = Array.from({ length: 3 }, (_, f) => [
      still(f),
      markedBody('72057594037931201', f),
      markedBody('72057594037931202', 10 * f),
    ]);
    clip = data.parseSkeleton(skeletonText(tie), 'c');
    assert.deepEqual(clip.bodyIds, ['72057594037931201', '72057594037931202']);
  });

  it('a clip with no frames, and frames with no bodies, parse (to zeros)', () => {
    assert.equal(data.parseSkeleton('0\r\n', 'c').length, 0);
    const clip = data.parseSkeleton(skeletonText([[], [markedBody('72057594037931101', 4)]]), 'c');
    assert.deepEqual([clip.frames[0], clip.frames[150]], [0, 4]);
  });

  it('malformed files name the file, the line and what was expected', () => {
    const good = skeletonText([[markedBody('72057594037931101', 1)]]).split('\r\n');
    const edit = (line: number, text: string): string =>
      good.map((l, i) => (i === line - 1 ? text : l)).join('\n');
    assertIndrnnError(
      () => data.parseSkeleton(edit(4, '24'), 'S.skeleton'),
      'S.skeleton: line 4: joint count 24, expected 25',
    );
    assertIndrnnError(
      () => data.parseSkeleton(edit(5, '1 2 3'), 'S.skeleton'),
      'S.skeleton: line 5: expected 12 values (x y z depthX',
      'got 3',
    );
    assertIndrnnError(
      () => data.parseSkeleton(edit(6, good[5]!.replace(/^\S+/, '0.1x')), 'S.skeleton'),
      'line 6: "0.1x" is not a number',
    );
    assertIndrnnError(
      () => data.parseSkeleton(edit(1, 'two'), 'S.skeleton'),
      'line 1: expected the frame count (one integer), got "two"',
    );
    assertIndrnnError(
      () => data.parseSkeleton(edit(3, 'A 0 1'), 'S.skeleton'),
      'line 3: expected 10 values (bodyID and 9 body properties), got 3',
    );
    assertIndrnnError(
      () => data.parseSkeleton(good.slice(0, 20).join('\n'), 'S.skeleton'),
      'S.skeleton: line 2 declares 1 bodies in frame 1, needing 27 lines, but only 18 follow',
    );
    assertIndrnnError(
      () => data.parseSkeleton(good.join('\n') + '7\n', 'S.skeleton'),
      'S.skeleton: line 30: unexpected content after the last of 1 frames',
    );
    assertIndrnnError(
      () => data.parseSkeleton(Uint8Array.of(0x31, 0x0a, 0x30, 0xff), 'S.skeleton'),
      'S.skeleton: unexpected byte 0xff at offset 3 (line 2)',
      'ASCII',
    );
  });

  it('impossible counts fail at once, before allocating', () => {
    const t0 = performance.now();
    assertIndrnnError(
      () => data.parseSkeleton('1000000000\r\n0\r\n0\r\n', 'big'),
      'big: line 1 declares 1000000000 frames, but only 3 lines follow',
    );
    assertIndrnnError(
      () => data.parseSkeleton('1\r\n1000000000\r\n', 'big'),
      'declares 1000000000 bodies in frame 1',
    );
    assert.ok(performance.now() - t0 < 50);
  });
});

describe('NTU file names and benchmark splits', () => {
  it('parses SsssCcccPpppRrrrAaaa; label = action − 1', () => {
    assert.deepEqual(data.parseNtuFileName('/x/S017C003P020R002A060.skeleton'), {
      setup: 17,
      camera: 3,
      performer: 20,
      replication: 2,
      action: 60,
      label: 59,
    });
    assertIndrnnError(
      () => data.parseNtuFileName('S01C003P020R002A060.skeleton'),
      'not an NTU clip name; expected SsssCcccPpppRrrrAaaa.skeleton',
    );
    assertIndrnnError(
      () => data.parseNtuFileName('S001C001P001R001A000.skeleton'),
      'action 0 is outside 1..120',
    );
  });

  it('cross-subject trains on the listed performers, cross-view on cameras 2 and 3; 5% held out', () => {
    withTempDir((dir) => {
      const files: Record<string, string> = {};
      // performers 1..40 (half in the CS training list), cameras 1..3; 40 × 3 = 120 clips
      for (let p = 1; p <= 40; p++) {
        for (let c = 1; c <= 3; c++) {
          const a = ((p + c) % 60) + 1;
          files[
            `S001C00${c}P${String(p).padStart(3, '0')}R001A${String(a).padStart(3, '0')}.skeleton`
          ] = markedClip(3 + (p % 5));
        }
      }
      files['S001C001P001R002A001.skeleton'] = '0\r\n'; // an empty clip (NTU's "missing skeletons")
      writeFiles(dir, files);
      const cs = loadNtu(dir, { benchmark: 'cross-subject', generator: new Generator(0) });
      const performer = (n: string): number => data.parseNtuFileName(n).performer;
      assert.deepEqual(
        [cs.train.clips.length, cs.valid.clips.length, cs.test.clips.length],
        [57, 3, 60],
      );
      for (const n of [...cs.train.names, ...cs.valid.names])
        assert.ok(data.CROSS_SUBJECT_TRAIN_PERFORMERS.includes(performer(n)), n);
      for (const n of cs.test.names)
        assert.ok(!data.CROSS_SUBJECT_TRAIN_PERFORMERS.includes(performer(n)), n);
      assert.deepEqual(cs.skipped, ['S001C001P001R002A001.skeleton: no frames']);
      assert.match(
        cs.note,
        /cross-subject from \.skeleton files: train 57 \+ valid 3, test 60, 1 skipped/,
      );
      const cv = loadNtu(dir, { benchmark: 'cross-view', generator: new Generator(0) });
      assert.deepEqual(
        [cv.train.clips.length, cv.valid.clips.length, cv.test.clips.length],
        [76, 4, 40],
      );
      for (const n of cv.test.names) assert.equal(data.parseNtuFileName(n).camera, 1);
      // labels and lengths follow the file
      const i = cv.test.names.indexOf('S001C001P007R001A009.skeleton');
      assert.deepEqual([cv.test.labels[i], cv.test.lengths[i]], [8, 5]);
      const again = loadNtu(dir, { benchmark: 'cross-view', generator: new Generator(0) });
      assert.deepEqual(again.valid.names, cv.valid.names, 'same seed, same hold-out');
      // the 5-frame clip, read from its file, becomes 5 consecutive steps of x [20, 1, 150]
      const x = data.ntuBatch(cv.test, Int32Array.of(i), { generator: new Generator(1) }).x;
      assert.deepEqual(x.shape, [20, 1, 150]);
      const steps = Array.from({ length: 20 }, (_, t) => x.data()[t * 150]!);
      const start = steps.findIndex((v) => v !== 0);
      assert.deepEqual(steps.slice(start, start + 5), [1, 2, 3, 4, 5]);
      assert.equal(steps.filter((v) => v !== 0).length, 5);
      assert.equal(x.data()[start * 150 + 3], Math.fround(0.003), 'joint 1 x of the written file');
    });
  });

  it('a missing data set names both layouts and --data-dir; a stray file name is an error', () => {
    withTempDir((dir) => {
      assertIndrnnError(
        () => loadNtu(dir, { benchmark: 'cross-view' }),
        `NTU RGB+D (cross-view) not found: searched ${dir}`,
        '*.skeleton files named SsssCcccPpppRrrrAaaa.skeleton',
        'train_CV_ntus.npy, train_CV_ntus_label.npy, train_CV_ntus_len.npy, test_CV_ntus.npy',
        '--data-dir DIR',
      );
      writeFiles(dir, { 'clip1.skeleton': markedClip(2) });
      assertIndrnnError(
        () => loadNtu(dir, { benchmark: 'cross-view' }),
        'clip1.skeleton: not an NTU clip name',
      );
    });
  });
});

describe('frame sampling', () => {
  it('long clips: one random frame from each of 20 equal segments; every frame can be drawn', () => {
    const gen = new Generator(2);
    for (const length of [20, 21, 39, 40, 57, 300]) {
      const hits = new Set<number>();
      for (let k = 0; k < 200; k++) {
        const idx = data.sampleFrameIndices(length, 20, gen);
        idx.forEach((f, j) => {
          assert.ok(
            f >= Math.floor((j * length) / 20) && f < Math.floor(((j + 1) * length) / 20),
            `len ${length}: step ${j} took frame ${f}`,
          );
          hits.add(f);
        });
      }
      assert.equal(hits.size, length, `len ${length}: only ${hits.size} frames ever drawn`);
    }
  });

  it('short clips: played whole from a random start, zero-padded elsewhere', () => {
    const gen = new Generator(3);
    const starts = new Set<number>();
    for (let k = 0; k < 300; k++) {
      const idx = Array.from(data.sampleFrameIndices(7, 20, gen));
      const start = idx.findIndex((f) => f >= 0);
      starts.add(start);
      assert.deepEqual(idx.slice(start, start + 7), [0, 1, 2, 3, 4, 5, 6]);
      assert.equal(idx.filter((f) => f === -1).length, 13);
    }
    assert.deepEqual(
      [...starts].sort((a, b) => a - b),
      Array.from({ length: 14 }, (_, i) => i),
    );
  });

  it('batches are x [20, B, 150] of the sampled frames; eval gives several samplings of the same clips', () => {
    const clips = [markedClip(40), markedClip(7)].map((t, i) => ({
      name: `S001C002P001R001A00${i + 1}.skeleton`,
      clip: data.parseSkeleton(t, 'c'),
    }));
    const ds = data.splitNtuClips(clips, { benchmark: 'cross-view', validFraction: 0 });
    const batch = data.ntuBatch(ds.train, Int32Array.of(0, 1), { generator: new Generator(4) });
    assert.deepEqual(batch.x.shape, [20, 2, 150]);
    assert.deepEqual(Array.from(batch.labels.data()), [0, 1]);
    const x = batch.x.data();
    const marker = (t: number, b: number): number => x[(t * 2 + b) * 150]!;
    for (let t = 0; t < 20; t++) {
      const frame = marker(t, 0) - 1; // clip 0: 40 frames, segment t = frames {2t, 2t+1}
      assert.ok(frame === 2 * t || frame === 2 * t + 1, `step ${t}: frame ${frame}`);
      assert.equal(x[t * 2 * 150 + 75], 0, 'second body slot is empty');
    }
    const short = Array.from({ length: 20 }, (_, t) => marker(t, 1)).filter((m) => m > 0);
    assert.deepEqual(short, [1, 2, 3, 4, 5, 6, 7]);
    const evals = [
      ...data.ntuEvalBatches(ds.train, { batchSize: 2, samplings: 5, generator: new Generator(5) }),
    ];
    assert.equal(evals.length, 1);
    assert.equal(evals[0]!.xs.length, 5);
    assert.deepEqual(Array.from(evals[0]!.labels.data()), [0, 1]);
    const firsts = evals[0]!.xs.map((s) =>
      Array.from({ length: 20 }, (_, t) => s.data()[t * 2 * 150]).join(),
    );
    assert.ok(new Set(firsts).size > 1, 'samplings should differ');
    const epoch = [...data.ntuBatches(ds.train, { batchSize: 1, generator: new Generator(6) })];
    assert.deepEqual(epoch.map((b) => b.indices[0]).sort(), [0, 1]);
  });
});

/** A v1 .npy file with an arbitrary header dict (padded to 64 bytes) and raw data bytes. */
function npyWithHeader(dict: string, body: Uint8Array): Uint8Array {
  const header = dict + ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(body, 10 + header.length);
  return out;
}

describe('.npy arrays', () => {
  it('reads <f4, <f8, <i4, <i8 written by hand, and writes the same bytes', () => {
    const f4 = data.parseNpy(npyBytes('<f4', [2, 3], [1, 2, 3, 4, 5, 0.5]), 'a.npy');
    assert.deepEqual(f4.shape, [2, 3]);
    assert.ok(f4.data instanceof Float32Array);
    assert.deepEqual(Array.from(f4.data), [1, 2, 3, 4, 5, 0.5]);
    assert.deepEqual(
      Array.from(data.parseNpy(npyBytes('<f8', [2], [0.1, -1e200])).data as Float64Array),
      [0.1, -1e200],
    );
    assert.deepEqual(
      Array.from(data.parseNpy(npyBytes('<i4', [3], [-1, 0, 7])).data as Int32Array),
      [-1, 0, 7],
    );
    const i8 = data.parseNpy(npyBytes('<i8', [2], [59, -3]));
    assert.deepEqual(Array.from(i8.data as BigInt64Array), [59n, -3n]);
    assert.deepEqual(Array.from(data.npyToInt32(i8, 'x', -3, 59)), [59, -3]);
    assert.deepEqual(
      data.encodeNpy([2, 3], Float32Array.of(1, 2, 3, 4, 5, 0.5)),
      npyBytes('<f4', [2, 3], [1, 2, 3, 4, 5, 0.5]),
    );
    assert.deepEqual(data.parseNpy(data.encodeNpy([], Float64Array.of(3))).shape, []);
  });

  it('reads from a Node Buffer view at any byte offset (copies, never aliases the pool)', () => {
    const file = npyBytes('<f8', [2], [1.25, -2]);
    const backing = Buffer.alloc(file.length + 3);
    backing.set(file, 3);
    const view = backing.subarray(3);
    const arr = data.parseNpy(view);
    assert.deepEqual(Array.from(arr.data as Float64Array), [1.25, -2]);
    backing.fill(0);
    assert.deepEqual(Array.from(arr.data as Float64Array), [1.25, -2]);
  });

  it('reads a version 2 header (uint32 length)', () => {
    const v1 = npyBytes('<i4', [2], [5, 6]);
    const headerLen = v1[8]! | (v1[9]! << 8);
    const v2 = new Uint8Array(v1.length + 2);
    v2.set(v1.subarray(0, 8));
    v2[6] = 2;
    new DataView(v2.buffer).setUint32(8, headerLen, true);
    v2.set(v1.subarray(10), 12);
    assert.deepEqual(Array.from(data.parseNpy(v2).data as Int32Array), [5, 6]);
  });

  it('errors name the file, the offset and the supported alternatives', () => {
    const ok = npyBytes('<f4', [2], [1, 2]);
    const withHeader = (dict: string): Uint8Array =>
      npyWithHeader(`{${dict}, }`, ok.subarray(ok.length - 8));
    assertIndrnnError(
      () =>
        data.parseNpy(withHeader("'descr': '>f4', 'fortran_order': False, 'shape': (2,)"), 'b.npy'),
      "b.npy: unsupported .npy dtype '>f4' (header at offset 10); supported: '<f4', '<f8', '<i4', '<i8'",
    );
    assertIndrnnError(
      () =>
        data.parseNpy(withHeader("'descr': '|u1', 'fortran_order': False, 'shape': (2,)"), 'b.npy'),
      "unsupported .npy dtype '|u1'",
    );
    assertIndrnnError(
      () =>
        data.parseNpy(withHeader("'descr': '<f4', 'fortran_order': True, 'shape': (2,)"), 'b.npy'),
      'Fortran order',
    );
    assertIndrnnError(
      () => data.parseNpy(ok.subarray(0, ok.length - 1), 'b.npy'),
      'b.npy: .npy header declares shape (2) of <f4 = 8 bytes of data at offset 128, but the file has 7 bytes there (truncated file?)',
    );
    assertIndrnnError(
      () => data.parseNpy(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0), 'z.npy'),
      'z.npy: bad magic 50 4b 03 04 00 00 at offset 0',
      'not a .npy file',
    );
    assertIndrnnError(
      () => data.parseNpy(new Uint8Array([...ok.subarray(0, 6), 9, 0]), 'v.npy'),
      'unsupported .npy version 9 at offset 6',
    );
    const t0 = performance.now();
    assertIndrnnError(
      () => data.parseNpy(npyBytes('<f4', [1_000_000_000, 300, 50, 3], [1, 2]), 'huge.npy'),
      'shape (1000000000, 300, 50, 3)',
      'has 8 bytes',
    );
    assert.ok(performance.now() - t0 < 50);
    assertIndrnnError(
      () => data.npyToInt32(data.parseNpy(npyBytes('<f8', [2], [1, 2.5])), 'len.npy', 0, 300),
      'len.npy: element 1 is 2.5, expected an integer in 0..300',
    );
  });

  it("loads the authors' layout: (N, 300, 50, 3) data, labels and true lengths; CV file names", () => {
    withTempDir((dir) => {
      const frames = 30;
      const side = (stem: string, n: number, labelOffset: number): Record<string, Uint8Array> => {
        const values = new Float32Array(n * frames * 150);
        for (let i = 0; i < n; i++)
          for (let f = 0; f < frames; f++) values[(i * frames + f) * 150] = 100 * i + f + 1;
        return {
          [`${stem}.npy`]: npyBytes('<f4', [n, frames, 50, 3], values),
          [`${stem}_label.npy`]: npyBytes(
            '<i8',
            [n],
            Array.from({ length: n }, (_, i) => (i + labelOffset) % 60),
          ),
          [`${stem}_len.npy`]: npyBytes(
            '<i8',
            [n],
            Array.from({ length: n }, (_, i) => 5 + (i % 20)),
          ),
        };
      };
      writeFiles(dir, { ...side('train_CV_ntus', 40, 0), ...side('test_CV_ntus', 6, 7) });
      const ds = loadNtu(dir, { benchmark: 'cross-view', generator: new Generator(0) });
      assert.deepEqual(
        [ds.train.clips.length, ds.valid.clips.length, ds.test.clips.length],
        [38, 2, 6],
      );
      assert.deepEqual(Array.from(ds.test.labels), [7, 8, 9, 10, 11, 12]);
      assert.deepEqual(Array.from(ds.test.lengths), [5, 6, 7, 8, 9, 10]);
      assert.equal(ds.test.clips[2]!.length, 7 * 150, 'a clip is cut to its true length');
      assert.equal(ds.test.clips[2]![6 * 150], 207);
      assert.equal(ds.test.names[2], 'test_CV_ntus.npy[2]');
      assertIndrnnError(
        () => loadNtu(dir, { benchmark: 'cross-subject' }),
        'NTU RGB+D (cross-subject) not found',
        'train_ntus.npy',
      );
      writeFiles(dir, { 'test_CV_ntus_len.npy': npyBytes('<i8', [5], [1, 2, 3, 4, 5]) });
      assertIndrnnError(
        () => loadNtu(dir, { benchmark: 'cross-view' }),
        'test_CV_ntus_len.npy: shape (5), expected (6,) to match test_CV_ntus.npy',
      );
      writeFiles(dir, { 'test_CV_ntus_len.npy': npyBytes('<i8', [6], [1, 2, 3, 4, 5, 31]) });
      assertIndrnnError(
        () => loadNtu(dir, { benchmark: 'cross-view' }),
        'test_CV_ntus_len.npy: element 5 is 31, expected an integer in 0..30',
      );
    });
  });

  it('reads the clip array in ranges from the file: float64 converted, truncation named', () => {
    withTempDir((dir) => {
      const values = Array.from({ length: 4 * 6 }, (_, i) => i + 0.5);
      writeFiles(dir, { 'a.npy': npyBytes('<f8', [4, 6], values) });
      const src = openNpyClipFile(join(dir, 'a.npy'));
      assert.deepEqual([src.descr, src.shape], ['<f8', [4, 6]]);
      assert.deepEqual(Array.from(src.read(13, 4)), [13.5, 14.5, 15.5, 16.5]);
      assert.ok(src.read(0, 1) instanceof Float32Array);
      src.close();
      assertIndrnnError(() => src.read(0, 1), 'a.npy: read after close');
      writeFiles(dir, { 'b.npy': npyBytes('<f4', [4, 6], values).subarray(0, 128 + 50) });
      assertIndrnnError(() => openNpyClipFile(join(dir, 'b.npy')), 'b.npy: .npy header declares shape (4, 6)', 'truncated file?');
    });
  });

  it("loads an authors'-layout training array larger than 2 GiB (a sparse file), clip by clip", () => {
    withTempDir((dir) => {
      // 12,000 clips × 300 frames × 150 floats = 2.16 GB of data, all holes but the last clip
      const n = 12_000;
      const frames = 300;
      const header = npyBytes('<f4', [n, frames, 50, 3], []);
      const dataPath = join(dir, 'train_CV_ntus.npy');
      writeFileSync(dataPath, header);
      const per = frames * 150 * 4;
      truncateSync(dataPath, header.length + n * per);
      const lastClip = new Float32Array(2 * 150).map((_, i) => i + 1);
      const fd = openSync(dataPath, 'r+');
      writeSync(fd, new Uint8Array(lastClip.buffer), 0, lastClip.byteLength, header.length + (n - 1) * per);
      closeSync(fd);
      const lengths = Array.from({ length: n }, (_, i) => (i === n - 1 ? 2 : 1));
      writeFiles(dir, {
        'train_CV_ntus_label.npy': npyBytes('<i8', [n], Array.from({ length: n }, (_, i) => i % 60)),
        'train_CV_ntus_len.npy': npyBytes('<i8', [n], lengths),
        'test_CV_ntus.npy': npyBytes('<f4', [1, 2, 150], new Float32Array(300).fill(0.25)),
        'test_CV_ntus_label.npy': npyBytes('<i8', [1], [3]),
        'test_CV_ntus_len.npy': npyBytes('<i8', [1], [2]),
      });
      const ds = loadNtu(dir, { benchmark: 'cross-view', validFraction: 0, generator: new Generator(0) });
      assert.equal(ds.train.clips.length, n);
      const last = ds.train.names.indexOf(`train_CV_ntus.npy[${n - 1}]`);
      assert.deepEqual(Array.from(ds.train.clips[last]!), Array.from(lastClip));
      assert.equal(ds.train.clips[0]!.length, 150, 'clips are cut to their true length');
      assert.deepEqual(Array.from(ds.test.labels), [3]);
    });
  });
});

