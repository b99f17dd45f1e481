/**
 * `indrnn report`: one report.md per run directory, --compare into --out or the default
 * compare-<names> folder, the help text, and exit code 2 with a clear message for bad input.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { setBackend } from 'indrnn';
import { getTask, runExperiment, type Settings } from 'indrnn/node';
import { runCli } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-cli-report-'));
const runA = path.join(tmp, 'indrnn-run');
const runB = path.join(tmp, 'lstm-run');

/** A 30-step adding run with 8 hidden units, in this process (faster than spawning `train`). */
async function tinyRun(outDir: string, model: Settings['model']): Promise<void> {
  setBackend('reference');
  const definition = getTask('adding');
  const settings: Settings = {
    ...definition.presets.quick,
    model,
    layers: 1,
    hidden: 8,
    seqLen: 10,
    steps: 30,
    evalEvery: 10,
    evalSize: 16,
    batchSize: 8,
  };
  const silent = new Writable({ write: (_chunk, _enc, done) => done() });
  await runExperiment({
    definition,
    settings,
    outDir,
    stdout: silent,
    stderr: silent,
    handleSignals: false,
  });
}

before(async () => {
  await tinyRun(runA, 'indrnn');
  await tinyRun(runB, 'lstm');
});

describe('indrnn report', () => {
  it('writes report.md into each run directory and prints its path', () => {
    const r = runCli(['report', runA, runB]);
    assert.equal(r.code, 0, r.stderr);
    const printed = r.stdout.trim().split('\n');
    assert.deepEqual(printed, [path.join(runA, 'report.md'), path.join(runB, 'report.md')]);
    const md = fs.readFileSync(printed[0]!, 'utf8');
    assert.match(md, /^# Run report: indrnn-run/);
    assert.match(md, /\| test_mse \| [0-9.]+ \|/);
    assert.ok(fs.existsSync(path.join(runA, 'report-u-layer1.svg')));
    assert.ok(fs.existsSync(path.join(runB, 'report-loss.svg')));
  });

  it('--compare writes comparison.md into --out', () => {
    const out = path.join(tmp, 'versus');
    const r = runCli(['report', '--compare', runA, runB, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), path.join(out, 'comparison.md'));
    const md = fs.readFileSync(path.join(out, 'comparison.md'), 'utf8');
    assert.match(md, /^# Comparison: indrnn-run vs lstm-run/);
    assert.ok(fs.existsSync(path.join(out, 'compare-val_mse.svg')));
  });

  it('--compare without --out writes compare-<names> next to the first run', () => {
    const r = runCli(['report', '--compare', runA, runB]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), path.join(tmp, 'compare-indrnn-run-lstm-run', 'comparison.md'));
  });

  it('--help describes the reports and --compare', () => {
    const r = runCli(['report', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: indrnn report \[options\] <run-dir\.\.\.>/);
    assert.match(r.stdout, /--compare/);
    assert.match(r.stdout, /histogram of the learned recurrent weights u/);
  });

  it('fails with exit code 2 and a clear message on bad input', () => {
    const missing = runCli(['report', path.join(tmp, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /indrnn: run directory .*nope does not exist \(a run directory written by/,
    );
    const noMetrics = path.join(tmp, 'no-metrics');
    fs.mkdirSync(noMetrics);
    fs.copyFileSync(path.join(runA, 'config.json'), path.join(noMetrics, 'config.json'));
    const r = runCli(['report', noMetrics]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no-metrics\/metrics\.jsonl does not exist/);
    const one = runCli(['report', '--compare', runA]);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /--compare needs at least two run directories, got 1/);
    const out = runCli(['report', runA, '--out', tmp]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /--out is only used with --compare/);
  });
});
