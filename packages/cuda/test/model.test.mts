/**
 * End to end on the GPU: the same seeded models trained one step on the cuda and the reference
 * backends give the same loss and the same gradient for every parameter; a few SGD steps keep
 * them together; and a training loop that never disposes a tensor stays within its memory budget
 * (device memory is reclaimed by garbage collection). Skips with the reason when no GPU is usable.
 *
 * Tolerance: atol 1e-4, rtol 1e-3 (float32 GEMMs and scans through a few layers vs the reference's
 * float64 sums).
 */
import assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, it } from 'node:test';
import {
  SGD,
  buildModel,
  getBackend,
  manualSeed,
  ops,
  randn,
  setBackend,
  tensor,
  zeros,
  Generator,
  type ModelConfig,
  type Tensor,
} from 'indrnn';
import { assertClose, cuda, skipReason } from './helpers.mjs';

interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
  after: Map<string, Float32Array>;
}

/** Builds the model on `backend` from seed 7, runs forward + backward on fixed data, then SGD. */
function oneStep(
  backendName: string,
  config: ModelConfig,
  T: number,
  B: number,
  F: number,
  classes: number,
  withLengths: boolean,
  optimSteps: number,
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
  const forward = (): Tensor =>
    ops.softmaxCrossEntropy(
      (model as unknown as { forward(x: Tensor, o: object): Tensor }).forward(x, { lengths }),
      targets,
    );
  const loss = forward();
  loss.backward();
  const grads = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParameters()) {
    assert.ok(p.grad, `parameter ${name} got a gradient`);
    grads.set(name, Float32Array.from(p.grad!.data()));
  }
  // SGD, not Adam: Adam's first step is lr·sign(g), so a gradient that is rounding noise around
  // zero could flip a parameter by 2·lr between backends (adamStep itself is checked in kernels)
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  opt.step();
  for (let i = 1; i < optimSteps; i++) {
    model.zeroGrad();
    forward().backward();
    opt.step();
  }
  const after = new Map<string, Float32Array>();
  for (const [name, p] of model.namedParameters()) after.set(name, Float32Array.from(p.data()));
  return { loss: loss.item(), grads, after };
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
    const ref = oneStep('reference', config, T, B, F, classes, withLengths, 3);
    const gpu = oneStep('cuda', config, T, B, F, classes, withLengths, 3);
    assertClose([gpu.loss], [ref.loss], 'loss', 1e-5, 1e-4);
    assert.deepEqual([...gpu.grads.keys()], [...ref.grads.keys()]);
    for (const [name, g] of ref.grads)
      assertClose(gpu.grads.get(name)!, g, `gradient of ${name}`, 1e-4, 1e-3);
    for (const [name, p] of ref.after)
      assertClose(gpu.after.get(name)!, p, `${name} after 3 SGD steps`, 1e-4, 1e-3);
  } finally {
    setBackend(prev);
  }
}

describe(
  'cuda end to end: loss and every parameter gradient match the reference',
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

describe('cuda memory', { skip: skipReason }, () => {
  it('a loop that never disposes stays bounded: garbage collection returns device memory', () => {
    const C = cuda!;
    setBackend('cuda');
    const before = C.memoryStats();
    // 256 MiB per tensor, and 4× the budget allocated in total: without collections this would
    // pass the soft limit (half the device) and then run out of memory
    const n = 64 << 20;
    const count = Math.ceil((4 * before.softLimitBytes) / (n * 4));
    let last = 0;
    for (let i = 0; i < count; i++) {
      const t = zeros([n], 'float32', C).add(1);
      last = t.size;
    }
    assert.equal(last, n);
    const after = C.memoryStats();
    const collected = after.minorGcs + after.majorGcs - before.minorGcs - before.majorGcs;
    assert.ok(collected > 0, 'the allocator asked for collections');
    assert.ok(
      after.liveBytes <= Math.max(after.softLimitBytes, before.liveBytes) + 4 * n * 4,
      `live ${after.liveBytes} B stays within the budget ${after.softLimitBytes} B ` +
        `(collections: ${collected})`,
    );
  });

  it('dispose() frees at once', () => {
    const C = cuda!;
    collectGarbage(); // no finalizer of an earlier test's tensors may run between the readings
    const live0 = C.memoryStats().liveBytes;
    const t = randn([1 << 20], { backend: C });
    assert.equal(C.memoryStats().liveBytes - live0, 4 << 20);
    t.dispose();
    assert.equal(C.memoryStats().liveBytes, live0);
  });
});

/** A full garbage collection (the same function the backend's allocator uses). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}
