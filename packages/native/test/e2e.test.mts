/**
 * End to end: the same seeded models trained one step on the native and the reference backends
 * give the same loss and the same gradient for every parameter; and the core picks the native
 * backend automatically (unless INDRNN_BACKEND says otherwise), warning once when it cannot load.
 *
 * Tolerance: atol 1e-4, rtol 1e-3 (float32 GEMMs and scans through a few layers vs the reference's
 * float64 sums).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  buildModel,
  getBackend,
  manualSeed,
  ops,
  setBackend,
  tensor,
  Generator,
  type ModelConfig,
  type Tensor,
} from 'indrnn';
import { assertClose, skipReason } from './helpers.mjs';

interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
}

/** Builds the model on `backend` from seed 7 and runs forward + backward on fixed data. */
function oneStep(
  backendName: string,
  config: ModelConfig,
  T: number,
  B: number,
  F: number,
  classes: number,
  withLengths: boolean,
): StepResult {
  setBackend(backendName);
  manualSeed(7);
  const model = buildModel(config);
  const gen = new Generator(11);
  const x = tensor(
    Float32Array.from({ length: T * B * F }, () => gen.normal()),
    [T, B, F],
  );
  const targets = tensor(
    Int32Array.from({ length: B }, () => gen.int(classes)),
    [B],
    'int32',
  );
  const lengths = withLengths
    ? tensor(
        Int32Array.from({ length: B }, (_, b) => T - (b % 4)),
        [B],
        'int32',
      )
    : null;
  assert.equal(x.backend.name, backendName, 'inputs live on the backend under test');
  const logits = (model as unknown as { forward(x: Tensor, o: object): Tensor }).forward(x, {
    lengths,
  });
  const loss = ops.softmaxCrossEntropy(logits, targets);
  loss.backward();
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParameters()) {
    assert.ok(p.grad, `parameter ${name} got a gradient`);
    grads.set(name, Float32Array.from(p.grad!.data()));
  }
  return { loss: loss.item(), grads };
}

function compare(
  config: ModelConfig,
  T: number,
  B: number,
  F: number,
  classes: number,
  withLengths: boolean,
): void {
  const prev = getBackend().name;
  try {
    const ref = oneStep('reference', config, T, B, F, classes, withLengths);
    const nat = oneStep('native', config, T, B, F, classes, withLengths);
    assertClose([nat.loss], [ref.loss], 'loss', 1e-5, 1e-4);
    assert.deepEqual([...nat.grads.keys()], [...ref.grads.keys()]);
    for (const [name, g] of ref.grads)
      assertClose(nat.grads.get(name)!, g, `gradient of ${name}`, 1e-4, 1e-3);
  } finally {
    setBackend(prev);
  }
}

describe(
  'native end to end: loss and every parameter gradient match the reference',
  { skip: skipReason },
  () => {
    it('2-layer IndRNN classifier (relu), variable lengths', () => {
      compare(
        {
          kind: 'sequence',
          encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 24, numLayers: 2, seqLen: 20 },
          outputSize: 5,
        },
        20,
        6,
        3,
        5,
        true,
      );
    });
    it('residual IndRNN with sequence-wise batch norm', () => {
      compare(
        {
          kind: 'sequence',
          encoder: {
            type: 'res-indrnn',
            inputSize: 4,
            hiddenSize: 19,
            numBlocks: 2,
            bn: 'sequence',
            seqLen: 12,
          },
          outputSize: 3,
        },
        12,
        5,
        4,
        3,
        false,
      );
    });
    it('IndRNN with frame-wise batch norm and tanh', () => {
      compare(
        {
          kind: 'sequence',
          encoder: {
            type: 'indrnn',
            inputSize: 2,
            hiddenSize: 17,
            numLayers: 2,
            bn: 'frame',
            activation: 'tanh',
          },
          outputSize: 4,
        },
        9,
        7,
        2,
        4,
        false,
      );
    });
    it('LSTM and RNN baselines', () => {
      compare(
        {
          kind: 'sequence',
          encoder: { type: 'lstm', inputSize: 3, hiddenSize: 21, numLayers: 2 },
          outputSize: 4,
        },
        15,
        6,
        3,
        4,
        true,
      );
      compare(
        { kind: 'sequence', encoder: { type: 'rnn', inputSize: 3, hiddenSize: 23 }, outputSize: 4 },
        15,
        6,
        3,
        4,
        false,
      );
    });
  },
);

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs a snippet in a fresh Node process (own registry state) and returns its output. */
function runNode(
  code: string,
  env: Record<string, string>,
  preload?: string,
): { stdout: string; stderr: string } {
  const args = [...(preload ? ['--require', preload] : []), '--input-type=module', '-e', code];
  const r = spawnSync(process.execPath, args, {
    cwd: here,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return { stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

const SNIPPET = `import { getBackend, zeros } from 'indrnn';
zeros([2]); getBackend(); getBackend();
console.log(getBackend().name);`;

describe('automatic backend selection in Node', () => {
  it(
    'picks native when it loads, reference when INDRNN_BACKEND=reference',
    { skip: skipReason },
    () => {
      const env = { INDRNN_BACKEND: '' };
      assert.equal(runNode(SNIPPET, env).stdout, 'native');
      assert.equal(runNode(SNIPPET, { INDRNN_BACKEND: 'reference' }).stdout, 'reference');
    },
  );

  it('falls back to the next backend and warns exactly once when native fails to load', () => {
    // a preload that makes require('@indrnn/native') fail the way a missing package does
    const preload = path.join(here, '..', '..', 'test', 'fixtures', 'hide-native.cjs'); // source tree
    const r = runNode(SNIPPET, { INDRNN_BACKEND: '' }, preload);
    assert.notEqual(r.stdout, 'native');
    const warnings = r.stderr
      .split('\n')
      .filter((l) => l.includes('native backend is unavailable'));
    assert.equal(warnings.length, 1, `expected one warning, got:\n${r.stderr}`);
    const m =
      /^indrnn: the native backend is unavailable \(package '@indrnn\/native' is not installed\); using the (\w+) backend$/.exec(
        warnings[0]!,
      );
    assert.ok(m, `unexpected warning: ${warnings[0]}`);
    assert.equal(m[1], r.stdout, 'the warning names the backend actually chosen');
  });
});
