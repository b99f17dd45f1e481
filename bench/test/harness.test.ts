/**
 * Smoke test of the benchmark harness: the tiny `smoke` config through the real code path (command
 * line → measuring child process → JSON lines), and the table arithmetic. No times are asserted:
 * benchmarks are not tests.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CONFIGS, defaultOptions, formatConfig, formatRatio, MAIN_ENTRY, parseCli, runBench, stepRatios, type GemmLine, type StepLine,
} from '../src/index.js';

const run = promisify(execFile);

function assertStepLine(l: Record<string, unknown>, impl: string): void {
  assert.equal(l['impl'], impl);
  assert.equal(l['config'], 'smoke');
  assert.ok('ms_per_step' in l, `ms_per_step missing in ${JSON.stringify(l)}`);
  if (l['ms_per_step'] === null) {
    assert.equal(typeof l['skipped'], 'string', `a null time must say why: ${JSON.stringify(l)}`);
  } else {
    assert.equal(typeof l['ms_per_step'], 'number');
    assert.ok((l['ms_per_step'] as number) > 0);
    assert.equal(typeof l['steps'], 'number');
    assert.equal(typeof l['peak_rss_mb'], 'number');
  }
}

describe('bench harness', () => {
  it('npm run bench -- --config smoke --json prints one JSON object a line', async () => {
    const { stdout } = await run(
      process.execPath,
      [MAIN_ENTRY, '--config', 'smoke', '--impl', 'indrnn-reference,indrnn-native', '--json'],
      { timeout: 120_000 },
    );
    const lines = stdout.trim().split('\n').map((s) => JSON.parse(s) as Record<string, unknown>);
    assert.equal(lines.length, 2, stdout);
    const byImpl = new Map(lines.map((l) => [l['impl'], l]));
    const reference = byImpl.get('indrnn-reference')!;
    assertStepLine(reference, 'indrnn-reference');
    // the reference backend always loads, so its row has a time
    assert.equal(typeof reference['ms_per_step'], 'number');
    assert.equal(reference['steps'], 2);
    // native: a time when it is built, otherwise a null time with the reason
    assertStepLine(byImpl.get('indrnn-native')!, 'indrnn-native');
  });

  it('runs in-process through runBench and formats a table', async () => {
    const seen: string[] = [];
    const report = await runBench({
      ...defaultOptions(), configs: ['smoke'], impls: ['indrnn-reference'], threads: 1, kernels: true,
      onLine: (l) => seen.push(l.impl),
    });
    assert.deepEqual(seen, ['indrnn-reference']);
    assert.equal(report.lines.length, 1);
    const text = formatConfig(report.configs[0]!, report.lines);
    assert.match(text, /^smoke: /);
    assert.match(text, /indrnn-reference\s+\d/);
    assert.match(text, /only 2 timed step\(s\)/);
    // --kernels: the step's time split by backend kernel
    const b = (report.lines[0] as StepLine).breakdown!;
    const names = b.kernels.map((k) => k.kernel);
    // the scan is one of the fused variants (plain, with bias, or with the narrow input projection folded in)
    for (const k of ['matmul', 'adamStep']) assert.ok(names.includes(k), names.join(', '));
    assert.ok(names.some((k) => /^indrnnScan(Bias|Proj)?$/.test(k)), names.join(', '));
    assert.ok(names.some((k) => /^indrnnScan(Bias|Proj)?Grad$/.test(k)), names.join(', '));
    assert.ok(b.kernels.every((k) => k.ms >= 0 && k.calls > 0));
    assert.match(text, /indrnn-reference: where one step goes/);
    assert.match(text, /outside kernels/);
  });

  it('ratios are baseline time / our time, with the goals for indrnn-native', () => {
    const line = (impl: StepLine['impl'], ms: number | null): StepLine =>
      ms === null ? { impl, config: 'x', ms_per_step: null, skipped: 'not here' } : { impl, config: 'x', ms_per_step: ms };
    const ratios = stepRatios([
      line('indrnn-native', 32), line('indrnn-reference', 3200), line('pytorch-cpu', 98),
      line('tfjs-cpu-simplernn', 9600), line('tfjs-wasm-simplernn', null),
    ]);
    assert.ok(ratios.includes('PyTorch / indrnn-native = 3.1×   (goal ≥ 3×: met)'), ratios.join('\n'));
    assert.ok(ratios.includes('TF.js cpu simpleRNN / indrnn-native = 300×   (goal ≥ 100×: met)'), ratios.join('\n'));
    assert.ok(ratios.includes('PyTorch / indrnn-reference = 0.03×'), ratios.join('\n'));
    assert.ok(ratios.includes('indrnn-reference / indrnn-native = 100×'), ratios.join('\n'));
    assert.ok(!ratios.some((r) => r.includes('wasm')), 'a skipped row has no ratio');
    assert.equal(formatRatio(0.456), '0.46×');
  });

  it('the gemm table shows GFLOP/s per shape and ours / numpy', () => {
    const gemm = CONFIGS.find((c) => c.name === 'gemm')!;
    const g = (impl: GemmLine['impl'], shape: string, gflops: number | null): GemmLine =>
      gflops === null ? { impl, config: 'gemm', shape, gflops: null, skipped: 'no numpy' } : { impl, config: 'gemm', shape, gflops, blas: 'off', threads: 2 };
    const text = formatConfig(gemm, [
      g('indrnn-native', '1024x1024x1024', 400), g('indrnn-native', '32768x128x128', 250),
      g('numpy-openblas', '1024x1024x1024', 460), g('numpy-openblas', '32768x128x128', null),
    ]);
    assert.match(text, /indrnn-native\s+400\.0\s+250\.0\s+2\s+off/);
    assert.match(text, /indrnn-native \/ numpy\/OpenBLAS \(GFLOP\/s\): 1024x1024x1024: 0\.87×$/m);
    assert.match(text, /numpy-openblas: skipped \(32768x128x128\): no numpy/);
  });

  it('rejects unknown configs and implementations by name', () => {
    assert.throws(() => parseCli(['--impl', 'pytorch']), /unknown implementation 'pytorch'; expected one of indrnn-native,/);
    assert.throws(() => parseCli(['--steps', '0']), /--steps must be a positive integer, got '0'/);
    assert.deepEqual(parseCli(['--config', 'adding-1000,gemm', '--json']).configs, ['adding-1000', 'gemm']);
    assert.equal(parseCli(['--cpu-time']).threads, 1);
    assert.throws(() => parseCli(['--cpu-time', '--threads', '2']), /--cpu-time sums the CPU time of all threads/);
  });

  it('--cpu-time times process CPU time and says so', async () => {
    const report = await runBench({ ...defaultOptions(), configs: ['smoke'], impls: ['indrnn-reference'], threads: 1, cpuTime: true });
    const l = report.lines[0] as StepLine;
    assert.equal(l.clock, 'cpu');
    assert.ok((l.ms_per_step ?? 0) > 0);
    assert.match(formatConfig(report.configs[0]!, report.lines), /CPU ms\/step \(median\)[\s\S]*not wall time/);
  });
});
