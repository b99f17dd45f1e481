/**
 * Run folders a user cannot break: a run that died before its first checkpoint starts again,
 * --force replaces a run, --resume changes only what is safe and names what it refuses, data that
 * moved is found with --data-dir, one process per folder (run.lock), damaged checkpoints are named
 * with the alternatives, leftovers of killed writes are removed, and bad settings fail before the
 * folder exists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exited, runCli, startCli, waitForLine } from './helpers.js';

const TINY = ['train', 'adding', '--seq-len', '10', '--hidden', '8', '--steps', '40', '--eval-every', '10', '--eval-size', '20',
  '--checkpoint-every', '10', '--seed', '3', '--backend', 'reference'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-runfolder-'));
const at = (...p: string[]): string => path.join(tmp, ...p);
const lastLine = (dir: string): Record<string, unknown> => {
  const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
};
const config = (dir: string): { settings: Record<string, unknown>; steps: number } => JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));

describe('run folders', () => {
  const done = at('done');

  it('a finished run is refused without --resume or --force; --force replaces it', () => {
    let r = runCli([...TINY, '--out', done]);
    assert.equal(r.code, 0, r.stderr);
    r = runCli([...TINY, '--out', done]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already holds a run; pass --resume to continue it, --force to replace it, or choose another --out/);
    const forced = at('forced');
    fs.cpSync(done, forced, { recursive: true });
    r = runCli([...TINY, '--hidden', '6', '--steps', '20', '--out', forced, '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /note: --force: replacing the run in/);
    assert.equal(config(forced).settings['hidden'], 6);
    const lines = fs.readFileSync(path.join(forced, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.filter((l) => l.includes('"event":"done"')).length, 1, 'one run in metrics.jsonl');
    assert.equal(lastLine(forced)['step'], 20);
  });

  it('a folder whose run died before its first checkpoint starts again, with or without --resume', () => {
    for (const resume of [false, true]) {
      const dir = at(`no-checkpoint-${resume}`);
      fs.mkdirSync(dir);
      // what a run killed before its first checkpoint leaves: config.json and a few metrics lines
      fs.copyFileSync(path.join(done, 'config.json'), path.join(dir, 'config.json'));
      fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '{"step":1,"loss":0.5,"lr":0.0002}\n{"step":2,"lo');
      const r = runCli([...TINY, '--out', dir, ...(resume ? ['--resume'] : [])]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, resume ? /note: .* has no checkpoint yet \(the run stopped before its first one\); starting it again from step 0/ : /note: .* holds a run that stopped before its first checkpoint; starting it again/);
      assert.deepEqual(lastLine(dir), { ...lastLine(done), elapsed_s: lastLine(dir)['elapsed_s'] }, 'the same run as an uninterrupted one');
    }
  });

  it('--resume extends a run, and refuses model, optimizer or task changes naming flag, old and new value', () => {
    const dir = at('extend');
    fs.cpSync(done, dir, { recursive: true });
    let r = runCli([...TINY, '--out', dir, '--resume', '--hidden', '9', '--lr', '0.01', '--steps', '60']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--resume continues the run as it was set up; it cannot change these settings:\n {2}--hidden: the run has 8, given 9\n {2}--lr: the run has 0.0002, given 0.01\n/);
    assert.match(r.stderr, /a resume may change only --steps, --epochs, --time-limit, --data-dir, --eval-every, --checkpoint-every \(and --json\)/);
    r = runCli(['train', 'mnist', '--out', dir, '--resume', '--backend', 'reference']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the task: the run has adding, given mnist/);
    r = runCli([...TINY, '--out', dir, '--resume', '--steps', '60', '--eval-every', '20']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(dir)['step'], 60);
    assert.equal(config(dir).steps, 60);
    assert.equal(config(dir).settings['evalEvery'], 20);
  });

  it('--resume --data-dir finds data that moved', () => {
    const dataA = at('text-a');
    fs.mkdirSync(dataA);
    let text = '';
    for (let i = 0; text.length < 20000; i++) text += `line ${i % 97} of a small corpus, word ${(i * 7) % 13}.\n`;
    fs.writeFileSync(path.join(dataA, 'input.txt'), text);
    const dir = at('moved');
    const args = ['train', 'char-lm', '--layers', '1', '--hidden', '8', '--embed-size', '8', '--seq-len', '8', '--batch-size', '4',
      '--eval-every', '5', '--checkpoint-every', '5', '--eval-size', '200', '--seed', '2', '--backend', 'reference', '--out', dir];
    let r = runCli([...args, '--steps', '5', '--data-dir', dataA]);
    assert.equal(r.code, 0, r.stderr);
    const dataB = at('text-b');
    fs.renameSync(dataA, dataB);
    r = runCli([...args, '--resume', '--steps', '10']);
    assert.equal(r.code, 2, 'the old path is gone');
    assert.match(r.stderr, /text-a/);
    r = runCli([...args, '--resume', '--steps', '10', '--data-dir', dataB]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lastLine(dir)['step'], 10);
    assert.equal(config(dir).settings['dataDir'], dataB);
  });

  it('one process per folder: a live owner is named, a dead one\'s lock is taken over', async () => {
    const dir = at('locked');
    const child = startCli([...TINY, '--steps', '100000', '--checkpoint-every', '0', '--eval-every', '0', '--json', '--out', dir]);
    await waitForLine(child, (l) => /"step":\d+,"loss"/.test(l));
    let r = runCli([...TINY, '--out', dir, '--force']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`is in use by process ${child.pid} \\(lock file .*run\\.lock`));
    child.kill('SIGKILL');
    await exited(child);
    assert.ok(fs.existsSync(path.join(dir, 'run.lock')), 'a killed process leaves its lock');
    r = runCli([...TINY, '--out', dir, '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`note: took over the lock of process ${child.pid}, which is no longer running`));
    assert.ok(!fs.existsSync(path.join(dir, 'run.lock')), 'released at the end');
  });

  it('a damaged last.ckpt is named with the checkpoints to resume from instead', () => {
    const dir = at('damaged');
    fs.cpSync(done, dir, { recursive: true });
    const last = path.join(dir, 'checkpoints', 'last.ckpt');
    const bytes = fs.readFileSync(last);
    bytes[bytes.length - 5]! ^= 0xff;
    fs.writeFileSync(last, bytes);
    // a killed atomic write leaves a temporary file behind
    const tmpFile = path.join(dir, 'checkpoints', `.last.ckpt.${process.pid}.1700000000000.tmp`);
    fs.writeFileSync(tmpFile, 'partial');
    let r = runCli([...TINY, '--out', dir, '--resume', '--steps', '50']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /last\.ckpt: checksum mismatch \(stored crc32:[0-9a-f]{8}, computed crc32:[0-9a-f]{8}\); the file is corrupt\nresume from another checkpoint instead: --resume-from previous \(checkpoints\/previous\.ckpt, step 40\), or --resume-from best \(checkpoints\/best\.ckpt, step \d+\)/);
    r = runCli([...TINY, '--out', dir, '--resume', '--resume-from', 'previous', '--steps', '50']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /note: removed 1 temporary file\(s\) left by an interrupted write: checkpoints\/\.last\.ckpt\.\d+\.1700000000000\.tmp/);
    assert.match(r.stdout, /note: moved checkpoints\/last\.ckpt aside to checkpoints\/last\.ckpt\.damaged/);
    assert.ok(!fs.existsSync(tmpFile));
    assert.equal(lastLine(dir)['step'], 50);
  });

  it('bad settings fail before the run folder is created, naming the flag', () => {
    const cases: [string[], RegExp][] = [
      [['--seq-len', '1'], /--seq-len must be at least 2/],
      [['--eval-size', '0'], /--eval-size must be at least 1: .*\(NaN\)/],
      [['--hidden', '100000'], /--hidden 100000 makes the model too large: .* 100,000 × 100,000 = 1\.00e\+10 values/],
      [['--batch-size', '100000000'], /--seq-len 10 with --batch-size 100000000 makes a batch too large/],
      [['--lr', '0'], /expected a number > 0, got '0' \(a learning rate of 0 trains nothing\)/],
    ];
    for (const [flags, message] of cases) {
      const dir = at(`bad-${flags.join('')}`);
      const r = runCli([...TINY, ...flags, '--out', dir]);
      assert.notEqual(r.code, 0, flags.join(' '));
      assert.match(r.stderr, message);
      assert.ok(!fs.existsSync(dir), `${flags.join(' ')}: no folder was created`);
    }
  });
});
