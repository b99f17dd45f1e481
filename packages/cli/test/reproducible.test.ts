/**
 * Same seed, same run, at default settings: the default backend (native when built) with its default
 * threads and BLAS mode. Two fresh runs, and a run killed with SIGKILL and resumed, end with the same
 * test MSE to the last digit and the same weights byte for byte.
 *
 * `npm test` sets INDRNN_BACKEND=reference for the whole suite; these children run without it (and
 * without INDRNN_NUM_THREADS / INDRNN_BLAS), so they get what a user gets.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, exited, waitForLine } from './helpers.js';

const defaultEnv: NodeJS.ProcessEnv = { ...process.env };
for (const v of ['INDRNN_BACKEND', 'INDRNN_NUM_THREADS', 'INDRNN_BLAS', 'INDRNN_SIMD']) delete defaultEnv[v];

const info = JSON.parse(spawnSync(process.execPath, [CLI, 'info', '--json'], { encoding: 'utf8', env: defaultEnv }).stdout) as {
  backend: string; threads: number; blas: string | null; blasCore: string | null; unavailable: Record<string, string>;
};
const skip = info.backend === 'native' ? false : `the default backend here is '${info.backend}', not native (${info.unavailable['native'] ?? 'native addon not built'}); default-settings reproducibility needs the native addon`;

// The quick preset's 128-wide layers over 20 × 50 rows: products large enough that the native
// addon used to time OpenBLAS against its own GEMM for them (the cause of runs that differed);
// long enough to take seconds (so the kill lands mid-run), short enough for the default suite.
const ARGS = ['train', 'adding', '--seq-len', '20', '--steps', '800', '--eval-every', '100', '--eval-size', '100',
  '--checkpoint-every', '100', '--seed', '7', '--json'];

function run(args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: defaultEnv, timeout: 300_000 });
  return { code: r.status, stderr: r.stderr };
}

function done(dir: string): { test_mse: number } & Record<string, unknown> {
  const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as { test_mse: number };
}

function losses(dir: string): string[] {
  return fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const rec = JSON.parse(l) as Record<string, unknown>;
    delete rec['elapsed_s'];
    return JSON.stringify(rec);
  });
}

const weights = (dir: string): Buffer => fs.readFileSync(path.join(dir, 'model', 'model.safetensors'));

describe(`bit-identical runs at default settings (${info.backend}, ${info.threads} threads, BLAS ${info.blas ?? 'none'}${info.blasCore ? ` ${info.blasCore}` : ''})`, { skip }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-repro-'));
  const a = path.join(tmp, 'a');
  const b = path.join(tmp, 'b');

  it('two fresh runs with the same seed end identically', (t) => {
    for (const dir of [a, b]) {
      const r = run([...ARGS, '--out', dir]);
      assert.equal(r.code, 0, r.stderr);
    }
    t.diagnostic(`test_mse ${done(a).test_mse} and ${done(b).test_mse}`);
    assert.equal(done(a).test_mse, done(b).test_mse);
    assert.deepEqual(losses(b), losses(a), 'every logged loss and metric');
    assert.ok(weights(a).equals(weights(b)), 'the saved weights, byte for byte');
    const config = JSON.parse(fs.readFileSync(path.join(a, 'config.json'), 'utf8')) as { compute: { backend: string; threads: number } };
    assert.equal(config.compute.backend, 'native');
    assert.equal(config.compute.threads, info.threads);
  });

  it('a run killed with SIGKILL and resumed ends identically to an uninterrupted one', async (t) => {
    const dir = path.join(tmp, 'killed');
    const child = spawn(process.execPath, [CLI, ...ARGS, '--out', dir], { env: defaultEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    // past the checkpoint at step 200, well before the end
    await waitForLine(child, (l) => /"step":(2[1-9]\d|[3-9]\d\d),"loss"/.test(l));
    child.kill('SIGKILL');
    await exited(child);
    const cut = losses(dir).length;
    assert.ok(cut > 0 && cut < losses(a).length, `the run stopped part-way (${cut} metrics lines)`);
    const r = run([...ARGS, '--out', dir, '--resume']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /took over the lock of process \d+, which is no longer running/);
    t.diagnostic(`test_mse uninterrupted ${done(a).test_mse}, killed and resumed ${done(dir).test_mse}`);
    assert.equal(done(dir).test_mse, done(a).test_mse);
    assert.deepEqual(losses(dir), losses(a));
    assert.ok(weights(dir).equals(weights(a)), 'the saved weights, byte for byte');
  });
});
