/** Neuron analysis: memory lengths, histograms, traces, the CVPR §4 equivalence, single-neuron ablation. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Adam, Generator, PlainIndRNN, RNN, analysis, applyRecurrentConstraints, buildModel, clipGradValue, data, manualSeed,
  noGrad, ops, randn, setBackend, tensor, type SequenceModel,
} from '../src/index.js';

describe('memory length and histograms', () => {
  it('memoryLength counts steps until |u|^k < threshold', () => {
    assert.equal(analysis.memoryLength(0.5, 0.01), 7); // 0.5^7 = 0.0078
    assert.equal(analysis.memoryLength(-0.5, 0.01), 7);
    assert.equal(analysis.memoryLength(0.99, 0.01), 459);
    assert.equal(analysis.memoryLength(1), Infinity);
    assert.equal(analysis.memoryLength(0), 0);
  });
  it('histogram bins every value once and counts the rest as outside', () => {
    const h = analysis.histogram([0, 0.1, 0.5, 0.99, 1, Infinity], 4, [0, 1]);
    assert.deepEqual(h.counts, [2, 0, 1, 2]); // 0, 0.1 | — | 0.5 | 0.99, 1
    assert.equal(h.outside, 1);
    assert.equal(h.edges.length, 5);
  });
});

describe('CVPR §4: a linear 2-layer IndRNN with u₂ = 0 is an RNN with U = W₂ diag(u₁) W₂⁻¹', () => {
  it('both compute the same outputs (max difference < 1e-5)', () => {
    setBackend('reference');
    manualSeed(12);
    const H = 6;
    const ind = new PlainIndRNN({
      type: 'indrnn', inputSize: 3, hiddenSize: H, numLayers: 2, activation: 'identity',
      recurrentInit: { kind: 'uniform', low: -0.9, high: 0.9 }, biasInit: { kind: 'normal', std: 0.3 },
    });
    const gen = new Generator(1);
    // a well-conditioned W₂ = I + small noise, and u₂ = 0
    const w2 = Float32Array.from({ length: H * H }, (_, i) => (i % (H + 1) === 0 ? 1 : 0) + 0.2 * gen.normal());
    ind.layers.at(1).proj.weight.assign(tensor(w2, [H, H]));
    ind.layers.at(1).rec.weightHh.assign(tensor(new Float32Array(H), [H]));
    const eq = analysis.equivalentRnn(ind);
    const rnn = new RNN({ type: 'rnn', inputSize: 3, hiddenSize: H, nonlinearity: 'identity' });
    const layer = rnn.layers.at(0);
    layer.weightIh.assign(tensor(Float32Array.from(eq.weightIh), [H, 3]));
    layer.weightHh.assign(tensor(Float32Array.from(eq.weightHh), [H, H]));
    layer.bias.assign(tensor(Float32Array.from(eq.bias), [H]));
    const B = 4;
    const x = randn([20, B, 3], { generator: gen });
    const h0 = tensor(Float32Array.from({ length: B * H }, (_, i) => eq.h0[i % H]!), [B, H]);
    const a = noGrad(() => ind.forward(x).output.data());
    const b = noGrad(() => rnn.forward(x, { states: [h0] }).output.data());
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    assert.ok(maxDiff < 1e-5, `max difference ${maxDiff}`);
    // and it is not trivially equal: U is not diagonal
    const offDiag = Array.from(eq.weightHh).filter((_, i) => i % (H + 1) !== 0).some((v) => Math.abs(v) > 1e-3);
    assert.ok(offDiag, 'U should be a full matrix');
  });
});

describe('traces and ablation on a trained adding model', () => {
  const T = 30;
  let model: SequenceModel;

  it('trains a 2-layer IndRNN on adding (T = 30)', () => {
    setBackend('reference');
    manualSeed(4);
    model = buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 64, numLayers: 2, seqLen: T, gamma: 2, lastLayerInit: true } }) as SequenceModel;
    const opt = new Adam(model.parameters(), { lr: 3e-3 });
    const gen = new Generator(5);
    for (let s = 0; s < 400; s++) {
      const { x, y } = data.addingBatch({ seqLen: T, batchSize: 32, generator: gen });
      const loss = ops.mseLoss(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      clipGradValue(model.parameters(), 10);
      opt.step();
      applyRecurrentConstraints(model);
    }
  });

  it('records [T, B, N] hidden states of every layer', () => {
    const { x } = data.addingBatch({ seqLen: T, batchSize: 3, generator: new Generator(9) });
    const traces = analysis.traceHiddenStates(model, () => model.forward(x));
    assert.deepEqual(traces.map((t) => t.name), ['encoder.layers.0.rec', 'encoder.layers.1.rec']);
    assert.deepEqual(traces[1]!.shape, [T, 3, 64]);
    assert.equal(analysis.neuronSeries(traces[1]!, 2, 5).length, T);
  });

  it('one last-layer neuron with a fine-tuned 1→1 output still solves the task', () => {
    const r = analysis.singleNeuronAblation(model, { seqLen: T, steps: 300, evalSize: 500 });
    assert.ok(r.fullMse < 0.02, `the full model should have learned (MSE ${r.fullMse})`);
    assert.ok(r.singleMse < 0.05, `readout ${r.readoutMse[r.neuron]} single neuron ${r.neuron} (u = ${r.u.toFixed(4)}): MSE ${r.singleMse}`);
    assert.ok(r.singleMse < 0.167 / 3, 'well below the trivial predictor');
    assert.equal(r.readoutMse.length, 64);
  });
});

describe('writeAnalysis on a run directory', () => {
  it('writes analysis.md with u and memory histograms, traces and the ablation', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { getTask, runExperiment, writeAnalysis } = await import('../src/node.js');
    setBackend('reference');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-analyze-'));
    const def = getTask('adding');
    const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
    // long enough to learn the task (the quick preset's tiny input init and lr learn too slowly for a test):
    // about 3 s here, full model MSE 0.005 and single neuron 0.018 with these settings
    const settings = {
      ...def.presets.quick, seqLen: 20, hidden: 16, steps: 300, lr: 3e-3, batchSize: 32, inputInit: null, schedule: 'none' as const,
      evalEvery: 150, evalSize: 50,
    };
    await runExperiment({ definition: def, settings, outDir: dir, stdout: quiet, stderr: quiet, handleSignals: false });
    const r = writeAnalysis(dir, { ablationSteps: 20, neurons: [0, 5] });
    const md = fs.readFileSync(r.file, 'utf8');
    assert.match(md, /\| encoder\.layers\.1\.rec \| 16 \|/);
    assert.match(md, /## Single-neuron ablation \(CVPR 2018 Fig\. 4\)/);
    // the paper's claim (CVPR 2018 Fig. 4): one neuron of the trained model, with a 1→1 output layer,
    // still solves the task, far below the trivial predictor's MSE (predict 1: 0.167)
    const ab = r.ablation!;
    assert.ok(ab, 'the ablation ran');
    assert.ok(ab.fullMse < 0.03, `the full model learned the task (MSE ${ab.fullMse})`);
    assert.ok(ab.singleMse < 0.167 / 3, `one neuron (${ab.neuron}, u = ${ab.u}) beats the trivial predictor by 3x: MSE ${ab.singleMse}`);
    assert.ok(md.includes(`| single neuron + 1→1 output | ${ab.singleMse.toFixed(5)} |`), 'the report states the measured MSE');
    assert.ok(md.includes(`| full model | ${ab.fullMse.toFixed(5)} |`));
    for (const f of ['analysis-u-0.svg', 'analysis-memory-1.svg', 'analysis-traces.svg', 'analysis-ablation.svg']) {
      assert.ok(r.svgs.includes(f), f);
      assert.match(fs.readFileSync(path.join(dir, f), 'utf8'), /^(<\?xml[^>]*>\s*)?<svg[^>]*>[\s\S]*<\/svg>\s*$/);
    }
    assert.throws(() => writeAnalysis(dir, { neurons: [99] }), /analyze: neuron 99 is outside 0\.\.15/);
  });
});
