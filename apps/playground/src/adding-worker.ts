/**
 * Web Worker: trains a model on the adding problem with the library's Trainer on the wasm backend
 * and posts the loss of every step. Steps yield to the event loop so a 'stop' arrives promptly.
 */
import { initWasm } from '@indrnn/wasm';
import {
  buildModel,
  data,
  Generator,
  manualSeed,
  ops,
  setBackend,
  Trainer,
  type EncoderConfig,
  type SequenceModel,
  type Task,
} from 'indrnn';
import type { FromWorker, StartMessage, ToWorker } from './adding-protocol.js';

const post = (m: FromWorker): void => postMessage(m);
let stopRequested = false;
let running = false;

function encoderFor(m: StartMessage): EncoderConfig {
  if (m.model === 'lstm')
    return { type: 'lstm', inputSize: 2, hiddenSize: m.hidden, numLayers: 2, forgetBias: 1 };
  // the papers' adding setup: |u| <= 2^(1/T), last layer u ~ U(2^(-1/T), 2^(1/T))
  return {
    type: 'indrnn',
    inputSize: 2,
    hiddenSize: m.hidden,
    numLayers: 2,
    gamma: 2,
    seqLen: m.seqLen,
    lastLayerInit: true,
  };
}

/** The adding problem as a Task: fresh batches every step, nothing held out (the page plots
 * the training loss). */
function addingTask(m: StartMessage): Task {
  manualSeed(m.seed);
  const model = buildModel({
    kind: 'sequence',
    encoder: encoderFor(m),
    outputSize: 1,
  }) as SequenceModel;
  const gen = new Generator(m.seed * 1000 + 1);
  return {
    name: 'adding',
    model,
    monitor: { metric: 'val_mse', mode: 'min' },
    notes: [],
    trainLoss() {
      const { x, y } = data.addingBatch({
        seqLen: m.seqLen,
        batchSize: m.batchSize,
        generator: gen,
      });
      return { loss: ops.mseLoss(model.forward(x), y) };
    },
    evaluate: () => ({}),
    getState: () => ({ json: gen.getState() }),
    setState: (s) => gen.setState(s.json as number[]),
  };
}

const nextTick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function train(m: StartMessage): Promise<void> {
  running = true;
  stopRequested = false;
  const trainer = new Trainer(addingTask(m), {
    steps: m.steps,
    evalEvery: 0,
    optimizer: 'adam',
    lr: m.lr,
    weightDecay: 0,
    gradClip: 10,
    gradNorm: 0,
    schedule: 'none',
    decayFactor: 0.1,
  });
  while (!trainer.done && !stopRequested) {
    const t0 = performance.now();
    const rec = trainer.trainStep();
    post({ type: 'step', step: rec.step, loss: rec.loss, ms: performance.now() - t0 });
    await nextTick();
  }
  running = false;
  post({ type: 'done', steps: trainer.step, stopped: stopRequested });
}

// without WebAssembly SIMD the worker still trains, on the (slower) reference backend
const ready = initWasm()
  .then(
    () => setBackend('wasm'),
    () => setBackend('reference'),
  )
  .then((backend) => post({ type: 'ready', backend: backend.name }));

onmessage = (e: MessageEvent<ToWorker>): void => {
  const m = e.data;
  if (m.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (running) return;
  ready
    .then(() => train(m))
    .catch((err: unknown) => {
      running = false;
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    });
};
