/**
 * Interrupted runs: a run killed with SIGKILL and resumed with --resume ends with exactly the losses of
 * an uninterrupted run with the same seed; SIGINT writes a checkpoint and exits cleanly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exited, runCli, startCli, waitForLine } from './helpers.js';

// dropout and BN make the run depend on the global generator and running statistics too
const ARGS = ['train', 'adding', '--seq-len', '12', '--hidden', '16', '--steps', '80', '--eval-every', '20', '--eval-size', '64',
  '--checkpoint-every', '10', '--dropout', '0.1', '--bn', 'sequence', '--seed', '5', '--backend', 'reference', '--json'];

function metrics(dir: string): object[] {
  return fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const rec = JSON.parse(l) as Record<string, unknown>;
    delete rec['elapsed_s'];
    return rec;
  });
}

describe('interrupted training', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-resume-'));
  const reference = path.join(tmp, 'uninterrupted');

  it('an uninterrupted run completes', () => {
    const r = runCli([...ARGS, '--out', reference]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim().split('\n').pop()!, /"event":"done","test_mse":/);
  });

  it('SIGKILL mid-run, then --resume, gives exactly the same losses', async () => {
    const dir = path.join(tmp, 'killed');
    const child = startCli([...ARGS, '--out', dir], {});
    // a train line is echoed every 10 steps; wait until step 50 so checkpoints exist, then kill hard
    await waitForLine(child, (l) => /"step":5\d,"loss"/.test(l));
    child.kill('SIGKILL');
    await exited(child);
    const before = metrics(dir).length;
    assert.ok(before > 0 && before < metrics(reference).length, 'the run stopped part-way');
    const r = runCli([...ARGS, '--out', dir, '--resume']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(metrics(dir), metrics(reference));
  });

  it('SIGINT writes a checkpoint, exits with 130, and resumes to the same result', async () => {
    const dir = path.join(tmp, 'interrupted');
    const child = startCli([...ARGS, '--out', dir]);
    await waitForLine(child, (l) => /"step":3\d,"loss"/.test(l));
    child.kill('SIGINT');
    assert.equal(await exited(child), 130);
    const last = metrics(dir).pop() as { event?: string; reason?: string };
    assert.equal(last.event, 'interrupted');
    assert.equal(last.reason, 'SIGINT received');
    assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'last.ckpt')));
    const r = runCli([...ARGS, '--out', dir, '--resume']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(metrics(dir), metrics(reference));
  });

  it('a corrupt checkpoint is reported and left untouched', () => {
    const dir = path.join(tmp, 'corrupt');
    fs.cpSync(reference, dir, { recursive: true });
    const ckpt = path.join(dir, 'checkpoints', 'last.ckpt');
    const bytes = fs.readFileSync(ckpt);
    const cut = bytes.subarray(0, bytes.length - 100);
    fs.writeFileSync(ckpt, cut);
    const r = runCli([...ARGS, '--out', dir, '--resume']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /last\.ckpt: tensor '.*' data ends at byte \d+, past the end of the file .* not valid safetensors/);
    assert.deepEqual(fs.readFileSync(ckpt), cut, 'the checkpoint was not overwritten');
  });

  it('refuses to start over an existing run without --resume', () => {
    const r = runCli([...ARGS, '--out', reference]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already holds a run; pass --resume to continue it, --force to replace it, or choose another --out/);
  });
});
