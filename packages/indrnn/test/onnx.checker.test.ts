/**
 * Every model kind's ONNX export passes the ONNX project's checker (onnx.checker.check_model with
 * full_check, i.e. with shape inference), run by interop/onnx/checker.py where python3-onnx is
 * installed; skipped with a message elsewhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { exportOnnx } from '../src/index.js';
import { makeModel, MODEL_KINDS } from './interop.helpers.js';

const CHECKER = fileURLToPath(new URL('../../../../interop/onnx/checker.py', import.meta.url));

/** A python3 that imports onnx ($INDRNN_PYTHON when set, else Debian's /usr/bin/python3, then python3 on PATH). */
function onnxPython(): string | null {
  const chosen = process.env['INDRNN_PYTHON'];
  for (const py of chosen ? [chosen] : ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import onnx'], { timeout: 60_000 }).status === 0) return py;
  }
  return null;
}

const PYTHON = onnxPython();
const skip = PYTHON ? false : 'python3-onnx is not installed (apt-get install python3-onnx)';
if (skip) console.log(`# skipped: ${skip}`);

describe('onnx.checker (python3-onnx)', { skip }, () => {
  it('accepts the export of every model kind, with and without lengths, LSTM/RNN as operators and as Scans', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-onnx-check-'));
    try {
      const files: string[] = [];
      MODEL_KINDS.forEach((kind, k) => {
        for (const [tag, options] of [['plain', {}], ['lengths', { lengths: true }], ['scan', { lengths: true, recurrentOps: 'scan' as const }]] as const) {
          const file = path.join(dir, `${k}-${tag}.onnx`);
          fs.writeFileSync(file, exportOnnx(makeModel(kind, k), options));
          files.push(file);
        }
      });
      const r = spawnSync(PYTHON!, [CHECKER, ...files], { encoding: 'utf8', timeout: 300_000 });
      const results = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { file: string; ok: boolean; error?: string; onnx?: string });
      assert.equal(results.length, files.length, r.stderr);
      const bad = results.filter((x) => !x.ok).map((x) => `${path.basename(x.file)}: ${x.error}`);
      assert.deepEqual(bad, []);
      console.log(`# onnx.checker ${results[0]!.onnx} (full_check): ${results.length} exports pass`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
