/**
 * Checkpoints carry a CRC-32 of everything they restore; a flipped byte, a damaged header or
 * non-finite weights are named on load instead of loading silently (or being blamed on --lr later).
 * And the progress line still reports when stderr is not a terminal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IndrnnError, Trainer, decodeCheckpoint, encodeCheckpoint, manualSeed, setBackend } from '../src/index.js';
import { getTask, presetSettings, trainOptionsFromSettings, ProgressLine } from '../src/node.js';
import { crc32 } from '../src/util/crc32.js';

function smallCheckpoint(): Uint8Array {
  setBackend('reference');
  const def = getTask('adding');
  const s = { ...presetSettings(def, 'quick'), seqLen: 8, hidden: 6, evalSize: 10, steps: 3 };
  manualSeed(s.seed);
  const trainer = new Trainer(def.create(s), trainOptionsFromSettings(s));
  trainer.trainStep();
  return encodeCheckpoint({ settings: s }, trainer, 1.5);
}

function throwsWith(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof IndrnnError && message.test(e.message));
}

describe('checkpoint checksums', () => {
  it('crc32 is the standard CRC-32', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    const bytes = new TextEncoder().encode('hello, world');
    assert.equal(crc32(bytes.subarray(5), crc32(bytes.subarray(0, 5))), crc32(bytes), 'continues across chunks');
  });

  it('an intact checkpoint loads; a flipped byte in any tensor is named', () => {
    const bytes = smallCheckpoint();
    const ok = decodeCheckpoint(bytes, 'last.ckpt');
    assert.equal(ok.meta.state.step, 1);
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    for (const at of [8 + headerLen + 3, bytes.length - 2]) {
      const bad = bytes.slice();
      bad[at]! ^= 0x10;
      throwsWith(() => decodeCheckpoint(bad, 'last.ckpt'), /^last\.ckpt: checksum mismatch \(stored crc32:[0-9a-f]{8}, computed crc32:[0-9a-f]{8}\); the file is corrupt$/);
    }
  });

  it('a damaged header names the missing field instead of "version undefined"', () => {
    const bytes = smallCheckpoint();
    const text = new TextDecoder().decode(bytes);
    const at = text.indexOf('"version"');
    const bad = bytes.slice();
    bad[at + 1] = 'w'.charCodeAt(0); // "wersion"
    throwsWith(() => decodeCheckpoint(bad, 'last.ckpt'), /^last\.ckpt: the header has no "version" field; the file is corrupt$/);
    const meta = text.indexOf('\\"step\\":1');
    const bad2 = bytes.slice();
    bad2[meta + 9] = '2'.charCodeAt(0); // a changed value inside the metadata JSON
    throwsWith(() => decodeCheckpoint(bad2, 'last.ckpt'), /checksum mismatch/);
  });

  it('non-finite weights in a checkpoint are named, not blamed on the learning rate later', () => {
    setBackend('reference');
    const def = getTask('adding');
    const s = { ...presetSettings(def, 'quick'), seqLen: 8, hidden: 6, evalSize: 10, steps: 3 };
    const trainer = new Trainer(def.create(s), trainOptionsFromSettings(s));
    const [name, w] = [...trainer.task.model.stateDict()][0]!;
    (w.data() as Float32Array)[2] = NaN;
    const bytes = encodeCheckpoint({ settings: s }, trainer, 0);
    throwsWith(() => decodeCheckpoint(bytes, 'best.ckpt'), new RegExp(`^best\\.ckpt: tensor 'model/${name.replace(/\./g, '\\.')}' holds NaN at index 2; the checkpoint cannot be resumed`));
  });
});

describe('progress when stderr is not a terminal', () => {
  it('prints a plain line about every 10 s with step/total, loss, the last metric, steps/s and ETA', () => {
    const lines: string[] = [];
    let now = 1_000_000;
    const out = { isTTY: false, write: (s: string) => (lines.push(s), true) };
    const p = new ProgressLine(out, 1000, 0, { now: () => now });
    for (let step = 1; step <= 300; step++) {
      now += 100; // 10 steps a second
      if (step === 150) p.setMetric('val_mse', 0.0123);
      p.update(step, 0.5 / step);
    }
    p.finish();
    assert.equal(lines.length, 3, lines.join(''));
    assert.equal(lines[0], 'step 100/1000  loss 0.0050  10.0 steps/s  ETA 1m30s\n');
    assert.equal(lines[1], 'step 200/1000  loss 0.0025  val_mse 0.0123  10.0 steps/s  ETA 1m20s\n');
    const tty: string[] = [];
    const quiet = new ProgressLine({ isTTY: false, write: (s: string) => (tty.push(s), true) }, 10, 0, { plainEvery: 0 });
    quiet.update(5, 1);
    assert.equal(tty.length, 0, 'plainEvery 0 prints nothing');
  });
});
