/**
 * What runs on every machine, GPU or not: the addon compiles from the current sources wherever nvcc
 * exists, its loader explains a missing driver, the registry skips 'cuda' without a warning but
 * names the reason on request, and the host-side layout planning is right.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runNodeSnippet } from 'indrnn/testing/node';
import { createCudaBackend, cudaInfo, CudaUnavailableError } from '../lib/index.js';
import { coalesce, reducePlan } from '../lib/layout.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgRoot = path.join(here, '..', '..'); // dist/test -> package root
const info = cudaInfo();
const hasGpu = info.available;

/** nvcc as scripts/install.cjs finds it (NVCC, PATH, $CUDA_HOME/bin, /usr/local/cuda/bin). */
function findNvcc(): string | null {
  const set = process.env['NVCC'];
  if (set) return fs.existsSync(set) ? set : null;
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  for (const v of ['CUDA_HOME', 'CUDA_PATH'])
    if (process.env[v]) dirs.push(path.join(process.env[v]!, 'bin'));
  dirs.push('/usr/local/cuda/bin');
  for (const d of dirs) if (fs.existsSync(path.join(d, 'nvcc'))) return path.join(d, 'nvcc');
  return null;
}
const nvcc = findNvcc();

describe('the CUDA addon builds and loads', () => {
  it(
    'nvcc compiles the current sources (install.cjs rebuilds only when they changed)',
    {
      skip: nvcc ? false : 'nvcc not found: the addon is not built on this machine',
      timeout: 15 * 60_000,
    },
    () => {
      const r = spawnSync(
        process.execPath,
        [path.join(pkgRoot, 'scripts', 'install.cjs'), '--strict'],
        {
          cwd: pkgRoot,
          encoding: 'utf8',
          env: { ...process.env, INDRNN_SKIP_CUDA_BUILD: '' },
        },
      );
      assert.equal(r.status, 0, `the build failed:\n${r.stdout}${r.stderr}`);
      assert.ok(
        fs.existsSync(path.join(pkgRoot, 'build', 'indrnn_cuda.node')),
        'build/indrnn_cuda.node exists',
      );
      // ptxas warns (install.cjs asks it to) when a kernel spills registers or uses local memory
      const log = fs.readFileSync(path.join(pkgRoot, 'build', 'install.log'), 'utf8');
      const slow = log.split('\n').filter((l) => /ptxas warning.*(spill|Local memory)/i.test(l));
      assert.deepEqual(slow, [], 'no kernel spills registers or keeps arrays in local memory');
    },
  );

  it(
    'the addon links no CUDA library (cuBLAS and the driver are opened at run time)',
    {
      skip: nvcc ? false : 'nvcc not found',
    },
    () => {
      const ldd = spawnSync('ldd', [path.join(pkgRoot, 'build', 'indrnn_cuda.node')], {
        encoding: 'utf8',
      });
      if (ldd.status !== 0) return; // no ldd here: nothing to inspect
      assert.doesNotMatch(ldd.stdout, /libcuda|libcublas|libcudart/, ldd.stdout);
    },
  );

  it(
    'without a GPU, the loader says why: the driver, not the addon',
    { skip: hasGpu ? 'a GPU is present' : false },
    () => {
      assert.equal(info.available, false);
      if (!info.available && info.addonBuilt) {
        // nvcc but no driver: the reason names the driver library and the dlopen error
        assert.match(
          info.error,
          /libcuda\.so\.1 could not be loaded \(.+\): this machine has no NVIDIA driver|no CUDA/,
        );
      }
      assert.throws(
        () => createCudaBackend(),
        (e: unknown) =>
          e instanceof CudaUnavailableError &&
          e.code === 'ERR_INDRNN_CUDA_UNAVAILABLE' &&
          e.message.startsWith('@indrnn/cuda: ') &&
          e.message.includes(info.available ? '' : info.error),
      );
    },
  );
});

/** Runs a snippet in a fresh Node process (own registry state) and returns its output. */
function runNode(code: string, env: Record<string, string>, preload?: string): { stdout: string; stderr: string } {
  return runNodeSnippet(code, { cwd: here, env, ...(preload ? { preload } : {}) });
}

const SNIPPET = `\
import { backendErrors, getBackend, listBackends, setBackend, zeros } from 'indrnn';
zeros([2]); getBackend(); getBackend();
let explicit = 'ok';
try { setBackend('cuda'); } catch (e) { explicit = e.message; }
const chosen = getBackend().name;
console.log(JSON.stringify({ chosen, listed: listBackends(), errors: backendErrors(), explicit }));`;

describe(
  'registry: the automatic choice skips cuda silently on machines without a GPU',
  { skip: hasGpu ? 'a GPU is present' : false },
  () => {
    it('no warning, another backend is chosen, and setBackend("cuda") gives the reason', () => {
      const r = runNode(SNIPPET, { INDRNN_BACKEND: '' });
      const out = JSON.parse(r.stdout) as {
        chosen: string;
        listed: string[];
        errors: Record<string, string>;
        explicit: string;
      };
      assert.doesNotMatch(r.stderr, /cuda/i, `stderr mentions cuda:\n${r.stderr}`);
      assert.notEqual(out.chosen, 'cuda');
      assert.equal(out.listed[0], 'cuda', 'cuda is registered first (priority 30)');
      assert.equal(
        out.errors['cuda'],
        undefined,
        'an expected absence is not listed among load failures',
      );
      assert.match(out.explicit, /^backend 'cuda' is unavailable: @indrnn\/cuda: /);
      if (!info.available) assert.ok(out.explicit.includes(info.error), out.explicit);
    });

    it('the same when the package is not installed at all', () => {
      const preload = path.join(pkgRoot, 'test', 'fixtures', 'hide-cuda.cjs');
      const r = runNode(SNIPPET, { INDRNN_BACKEND: '' }, preload);
      const out = JSON.parse(r.stdout) as { explicit: string };
      assert.doesNotMatch(r.stderr, /cuda/i, `stderr mentions cuda:\n${r.stderr}`);
      assert.equal(
        out.explicit,
        "backend 'cuda' is unavailable: package '@indrnn/cuda' is not installed",
      );
    });

    it('INDRNN_BACKEND=cuda fails loudly with the reason', () => {
      const r = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', "import { zeros } from 'indrnn'; zeros([1]);"],
        {
          cwd: here,
          env: { ...process.env, INDRNN_BACKEND: 'cuda' },
          encoding: 'utf8',
        },
      );
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /backend 'cuda' is unavailable: @indrnn\/cuda: /);
    });
  },
);

describe('layout planning (host side)', () => {
  it('coalesce merges contiguous runs and drops size-1 axes', () => {
    // same shape: one run
    assert.deepEqual(
      coalesce(
        [4, 5, 6],
        [
          [30, 6, 1],
          [30, 6, 1],
        ],
      ),
      { shape: [120], strides: [[1], [1]] },
    );
    // [T, B, H] + [H]: rows and a broadcast row vector
    assert.deepEqual(
      coalesce(
        [3, 4, 5],
        [
          [20, 5, 1],
          [0, 0, 1],
        ],
      ),
      {
        shape: [12, 5],
        strides: [
          [5, 1],
          [0, 1],
        ],
      },
    );
    // scalar operand
    assert.deepEqual(
      coalesce(
        [2, 3],
        [
          [3, 1],
          [0, 0],
        ],
      ),
      { shape: [6], strides: [[1], [0]] },
    );
    // transpose of [2, 3, 4] with perm [1, 0, 2]
    assert.deepEqual(coalesce([3, 2, 4], [[4, 12, 1]]), {
      shape: [3, 2, 4],
      strides: [[4, 12, 1]],
    });
    assert.deepEqual(coalesce([1, 1], [[1, 1]]), { shape: [], strides: [[]] });
  });

  it('reducePlan turns any axes into [O, R, I] passes, innermost first', () => {
    assert.deepEqual(reducePlan([128, 64], [0]), [{ O: 1, R: 128, I: 64 }]);
    assert.deepEqual(reducePlan([128, 64], [1]), [{ O: 128, R: 64, I: 1 }]);
    assert.deepEqual(reducePlan([2, 3, 4], [0, 1, 2]), [{ O: 1, R: 24, I: 1 }]);
    assert.deepEqual(reducePlan([2, 3, 4], [0, 2]), [
      { O: 6, R: 4, I: 1 },
      { O: 1, R: 2, I: 3 },
    ]);
    assert.deepEqual(reducePlan([5, 1, 3], [1]), []);
    assert.deepEqual(reducePlan([5, 7, 3, 2], [1, 3]), [
      { O: 105, R: 2, I: 1 },
      { O: 5, R: 7, I: 3 },
    ]);
  });
});
