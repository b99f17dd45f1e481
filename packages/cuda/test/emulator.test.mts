/**
 * The CUDA backend's own sources, built with g++ against the CPU emulator of the CUDA runtime
 * (emu/README.md), run the GPU test files (kernels, scans, model) on machines without a GPU. First
 * the emulator must show that it catches the defects it is for, so that a green run means
 * something. Where g++ has AddressSanitizer the addon is built with it, so a kernel that reads or
 * writes outside an allocation fails with the line (INDRNN_EMU_ASAN=0 turns that off). Skips with
 * the reason where g++ is missing (fails instead under CI=true), and when INDRNN_CUDA_EMULATOR=0
 * (the GPU script sets that: there the real kernels are tested).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { Generator } from 'indrnn';
import { skipOrFailInCI } from 'indrnn/testing/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgRoot = path.join(here, '..', '..'); // dist/test -> package root
const buildDir = path.join(pkgRoot, 'build-emu');
const GPU_TEST_FILES = ['kernels', 'scans', 'model', 'trace', 'determinism'].map((f) => path.join(here, `${f}.test.mjs`));

function skipReason(): string | false {
  if (process.env['INDRNN_CUDA_EMULATOR'] === '0') return 'INDRNN_CUDA_EMULATOR=0';
  if (process.env['INDRNN_CUDA_ADDON']) return 'INDRNN_CUDA_ADDON is set (an emulated run already)';
  const cxx = spawnSync(process.env['CXX'] || 'g++', ['--version'], { encoding: 'utf8' });
  // CI has g++ (the native addon needs it too): there a missing one fails instead
  if (cxx.status !== 0) return skipOrFailInCI('g++ not found: the CUDA emulator cannot be built here');
  return false;
}
const skip = skipReason();
if (skip) console.log(`# CUDA emulator tests skipped: ${skip}`);

/** g++'s AddressSanitizer runtime, to preload into the node that loads an ASan-built addon. */
function libasan(): string | null {
  if (skip || process.env['INDRNN_EMU_ASAN'] === '0') return null;
  const r = spawnSync(process.env['CXX'] || 'g++', ['-print-file-name=libasan.so'], {
    encoding: 'utf8',
  });
  const file = r.stdout?.trim() ?? '';
  return r.status === 0 && path.isAbsolute(file) && fs.existsSync(file) ? file : null;
}
const asan = libasan();
/** The environment of a node that loads the emulated addon (its ASan runtime preloaded). */
const emulatedEnv: NodeJS.ProcessEnv = {
  ...process.env,
  INDRNN_CUDA_ADDON: path.join(buildDir, 'indrnn_cuda.node'),
  ...(asan ? { LD_PRELOAD: asan, ASAN_OPTIONS: 'detect_leaks=0' } : {}),
};

describe('the CUDA backend on the CPU emulator', { skip, timeout: 15 * 60_000 }, () => {
  before(() => {
    const r = spawnSync(process.execPath, [path.join(pkgRoot, 'emu', 'build.cjs'), '--selftest'], {
      cwd: pkgRoot,
      encoding: 'utf8',
      env: { ...process.env, INDRNN_EMU_ASAN: asan ? '1' : '0' },
    });
    assert.equal(r.status, 0, `the emulator build failed:\n${r.stdout}${r.stderr}`);
  });

  it('catches a missing __syncthreads, a shuffle with a lane gone, a write past an allocation, a bad launch, and reads of fresh memory', () => {
    const run = (...args: string[]): Map<string, string> => {
      const r = spawnSync(path.join(buildDir, 'selftest'), args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `selftest ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      // "name key=value ..." per line
      return new Map(
        r.stdout
          .trim()
          .split('\n')
          .map((line) => {
            const [name, ...rest] = line.split(' ');
            return [name!, rest.join(' ')] as [string, string];
          }),
      );
    };
    const out = run();
    assert.equal(out.get('mirror-with-sync'), 'wrong=0', 'with the barrier every thread reads its mirror');
    const racy = Number(/wrong=(\d+)/.exec(out.get('mirror-without-sync') ?? '')?.[1]);
    assert.ok(racy > 0, `without the barrier some threads read before their mirror wrote (${racy})`);
    assert.equal(out.get('shuffle-all-lanes'), 'error=cudaSuccess sum=32');
    assert.equal(out.get('fresh-memory'), 'is-nan=1', 'fresh device memory reads as NaN, not zeros');
    assert.equal(out.get('write-in-bounds'), 'free=cudaSuccess');
    assert.equal(out.get('block-of-2048'), 'launch=cudaErrorInvalidConfiguration');
    assert.equal(out.get('write-past-the-end'), 'free=cudaErrorIllegalAddress');
    assert.equal(out.get('after-the-fault'), 'sync=cudaErrorIllegalAddress', 'the fault is sticky');
    assert.equal(run('shuffle-lane-returned').get('shuffle-lane-returned'), 'sync=cudaErrorLaunchFailure');
  });

  const stepScript = path.join(pkgRoot, '..', '..', 'bench', 'gpu', 'step.mjs');
  const benchBuilt = fs.existsSync(path.join(pkgRoot, '..', '..', 'bench', 'dist', 'src', 'ours', 'step.js'));
  it(
    "the GPU benchmark's step script (bench/gpu/step.mjs) runs: a training step, its profile, and the scans alone",
    { skip: skip ? false : skipOrFailInCI(fs.existsSync(stepScript) && benchBuilt ? false : 'bench/gpu/step.mjs or bench/dist is missing (npm run build builds bench/dist)') },
    () => {
      const env = emulatedEnv;
      type Line = Record<string, unknown>;
      const runStep = (...args: string[]): Line[] => {
        const r = spawnSync(process.execPath, [stepScript, ...args], { encoding: 'utf8', env });
        assert.equal(r.status, 0, `step.mjs ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
        return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
      };
      const [step, profile] = runStep(
        ...['--layers', '2', '--T', '12', '--B', '3', '--hidden', '16', '--input', '2'],
        ...['--steps', '2', '--warmup', '1', '--profile', '1'],
      );
      assert.equal(step!['impl'], 'indrnn-cuda');
      assert.match(String(step!['device']), /emulator/);
      assert.ok(Number.isFinite(step!['last_loss']) && Number(step!['ms_per_step']) > 0, JSON.stringify(step));
      // the profile names the fused kernels of the step
      assert.equal(profile!['impl'], 'indrnn-cuda-profile');
      const names = (profile!['kernels'] as { name: string }[]).map((k) => k.name);
      for (const k of ['indrnnScanProj', 'indrnnScan', 'adamStepMany', 'matmul']) {
        assert.ok(names.includes(k), `${k} in the profile: ${names.join(', ')}`);
      }
      const [scan] = runStep('--scan-only', '--T', '12', '--B', '3', '--hidden', '16');
      assert.ok(Number(scan!['fwd_ms']) > 0 && Number(scan!['bwd_ms']) > 0, JSON.stringify(scan));
    },
  );

  const reproduceScript = path.join(pkgRoot, '..', '..', 'bench', 'gpu', 'reproduce.sh');
  const cliBuilt = fs.existsSync(path.join(pkgRoot, '..', 'cli', 'dist', 'src', 'main.js'));
  it(
    "the paper-scale GPU script (bench/gpu/reproduce.sh) completes a dry run: both adding runs, Fashion-MNIST, the LM step and the table",
    { skip: fs.existsSync(reproduceScript) && benchBuilt && cliBuilt ? false : 'bench/gpu/reproduce.sh, bench/dist or packages/cli/dist is missing' },
    () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-repro-'));
      try {
        // a tiny Fashion-MNIST-shaped set (gzipped IDX, 28x28): 16 training and 8 test images
        const gen = new Generator(5);
        const idx = (dims: number[], values: ArrayLike<number>): Buffer => {
          const head = Buffer.alloc(4 + 4 * dims.length);
          head.writeUInt8(8, 2); // unsigned bytes
          head.writeUInt8(dims.length, 3);
          dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
          return zlib.gzipSync(Buffer.concat([head, Buffer.from(Uint8Array.from(values))]));
        };
        const data = path.join(tmp, 'fashion');
        fs.mkdirSync(data);
        for (const [prefix, n] of [['train', 16], ['t10k', 8]] as const) {
          const labels = Array.from({ length: n }, (_, i) => i % 10);
          const pixels = Array.from({ length: n * 784 }, () => Math.floor(gen.uniform() * 256));
          fs.writeFileSync(path.join(data, `${prefix}-images-idx3-ubyte.gz`), idx([n, 28, 28], pixels));
          fs.writeFileSync(path.join(data, `${prefix}-labels-idx1-ubyte.gz`), idx([n], labels));
        }
        const out = path.join(tmp, 'out');
        const r = spawnSync('bash', [reproduceScript], {
          encoding: 'utf8',
          maxBuffer: 64 << 20,
          // a budget no tiny run reaches, so every run finishes its steps
          env: { ...emulatedEnv, DRY: '1', OUT: out, FASHION_DIR: data, BUDGET_S: '3600', PROGRESS_S: '30' },
        });
        assert.equal(r.status, 0, `reproduce.sh (dry run) failed:\n${r.stdout.slice(-6000)}${r.stderr.slice(-4000)}`);
        assert.match(r.stdout, /budget: 3600 s in all, DRY RUN/, 'the budget is printed first');
        const summary = fs.readFileSync(path.join(out, 'summary.jsonl'), 'utf8').trim().split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const runs = summary.filter((s) => s['kind'] === 'run');
        assert.deepEqual(runs.map((s) => s['name']), ['adding-1000', 'adding-5000', 'fashion-mnist']);
        for (const run of runs) {
          assert.equal(run['stopped'], 'finished', JSON.stringify(run));
          assert.equal(run['steps_done'], run['steps_planned'], JSON.stringify(run));
          assert.equal(run['preset'], 'paper');
          assert.ok(fs.existsSync(path.join(out, String(run['name']), 'report.md')), `${run['name']}: report.md`);
        }
        assert.ok(Number.isFinite(runs[0]!['test_mse']) && 'first_step_val_mse_below_0_01' in runs[0]!, JSON.stringify(runs[0]));
        assert.ok(Number.isFinite(runs[2]!['test_acc']) && runs[2]!['epochs'] === 1, JSON.stringify(runs[2]));
        const lm = summary.find((s) => s['kind'] === 'lm')!;
        assert.ok(Number(lm['ours_frame_bn_ms']) > 0 && Number(lm['ours_sequence_bn_ms']) > 0, JSON.stringify(lm));
        const table = fs.readFileSync(path.join(out, 'table.md'), 'utf8');
        assert.match(table, /\| adding-5000 \| CUDA emulator \(dry run\) \| 6 \/ 6 \|/);
        assert.match(table, /ours, frame-wise BN/);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  );

  it('every kernel, scan and model test of the GPU suite passes on the emulator', () => {
    const r = spawnSync(
      process.execPath,
      ['--test', '--test-concurrency=1', '--test-reporter=tap', ...GPU_TEST_FILES],
      {
        cwd: pkgRoot,
        encoding: 'utf8',
        maxBuffer: 256 << 20,
        env: {
          ...emulatedEnv,
          NODE_TEST_CONTEXT: undefined, // a runner of its own, not a child of this one
          INDRNN_BACKEND: 'reference',
        },
      },
    );
    const count = (what: string): number =>
      Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(r.stdout)?.[1] ?? NaN);
    const failures = r.stdout
      .split('\n')
      .filter((l) => /^\s*not ok|^\s+(error|Error|\[)/.test(l))
      .slice(0, 60)
      .join('\n');
    assert.equal(r.status, 0, `the emulated GPU suite failed:\n${failures}\n${r.stderr.slice(-4000)}`);
    assert.equal(count('fail'), 0);
    assert.equal(count('skipped'), 0, 'no GPU test skipped: the emulated device was found');
    assert.ok(count('pass') >= 100, `the GPU suite ran (${count('pass')} tests passed)`);
    assert.doesNotMatch(r.stdout + r.stderr, /ERROR: AddressSanitizer/);
    console.log(
      `# emulated GPU suite: ${count('pass')} tests passed` +
        (asan ? ' (AddressSanitizer on)' : ' (without AddressSanitizer)'),
    );
  });
});
