/** Optimizers, clipping, groups and schedules against hand-computed torch.optim semantics. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Adam, SGD, ReduceLROnPlateau, StepLR, Parameter, buildModel, clipGradNorm, clipGradValue, manualSeed, tensor,
  weightDecayGroups, applyRecurrentConstraints, recurrentBounds, type SequenceModel, randn,
} from '../src/index.js';
import { assertClose } from './helpers.js';

function param(values: number[]): Parameter {
  return new Parameter(tensor(Float32Array.from(values), [values.length]));
}

describe('Adam', () => {
  it('matches the torch.optim.Adam update with L2 weight decay over three steps', () => {
    const p = param([1.0, -2.0, 0.5]);
    const opt = new Adam([p], { lr: 0.1, weightDecay: 0.01 });
    const grads = [[0.5, -1.0, 0.2], [0.1, 0.3, -0.4], [-0.2, 0.0, 0.7]];
    // independent scalar re-implementation of the PyTorch algorithm
    const ref = [1.0, -2.0, 0.5];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    grads.forEach((g, step) => {
      p.grad = tensor(Float32Array.from(g), [3]);
      opt.step();
      for (let i = 0; i < 3; i++) {
        const gi = g[i]! + 0.01 * ref[i]!;
        m[i] = 0.9 * m[i]! + 0.1 * gi;
        v[i] = 0.999 * v[i]! + 0.001 * gi * gi;
        const mh = m[i]! / (1 - 0.9 ** (step + 1));
        const vh = v[i]! / (1 - 0.999 ** (step + 1));
        ref[i] = ref[i]! - (0.1 * mh) / (Math.sqrt(vh) + 1e-8);
      }
    });
    assertClose(p.data(), ref, 1e-6, 1e-6, 'Adam parameters');
  });

  it('state round-trips through stateDict (resume gives the same next step)', () => {
    const a = param([0.3, 0.7]);
    const b = param([0.3, 0.7]);
    const oa = new Adam([a], { lr: 0.05 });
    const ob = new Adam([b], { lr: 0.05 });
    a.grad = tensor(Float32Array.from([0.2, -0.5]), [2]);
    oa.step();
    b.assign(a.clone());
    ob.loadStateDict(oa.stateDict());
    a.grad = b.grad = tensor(Float32Array.from([-0.1, 0.4]), [2]);
    oa.step();
    ob.step();
    assert.deepEqual(a.toArray(), b.toArray());
  });
});

describe('SGD', () => {
  it('matches torch.optim.SGD with momentum and Nesterov', () => {
    const p = param([1.0]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true });
    let ref = 1.0;
    let buf = 0;
    [0.5, 0.25, -1].forEach((g, i) => {
      p.grad = tensor(Float32Array.from([g]), [1]);
      opt.step();
      buf = i === 0 ? g : 0.9 * buf + g;
      ref -= 0.1 * (g + 0.9 * buf);
    });
    assertClose(p.data(), [ref], 1e-6, 1e-6);
  });
});

describe('clipping and groups', () => {
  it('clamps element-wise and by global norm', () => {
    const a = param([0, 0]);
    const b = param([0]);
    a.grad = tensor(Float32Array.from([30, -4]), [2]);
    b.grad = tensor(Float32Array.from([-12]), [1]);
    clipGradValue([a, b], 10);
    assert.deepEqual(a.grad.toArray(), [10, -4]);
    assert.deepEqual(b.grad.toArray(), [-10]);
    const norm = clipGradNorm([a, b], 1);
    assertClose([norm], [Math.sqrt(100 + 16 + 100)], 1e-5);
    assertClose([Math.hypot(...a.grad.toArray(), ...b.grad.toArray())], [1], 1e-5);
  });

  it('puts no weight decay on u, biases and BN parameters', () => {
    manualSeed(1);
    const model = buildModel({ kind: 'sequence', outputSize: 2, encoder: { type: 'indrnn', inputSize: 3, hiddenSize: 4, numLayers: 2, bn: 'sequence' } });
    const [decay, none] = weightDecayGroups(model, 1e-4);
    const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
    assert.deepEqual(decay!.params.map((p) => names.get(p)), ['encoder.layers.0.proj.weight', 'encoder.layers.1.proj.weight', 'head.weight']);
    assert.equal(none!.weightDecay, 0);
    assert.ok(none!.params.map((p) => names.get(p)!).every((n) => /(bias|weightHh|norm\.weight)$/.test(n)));
  });

  it('applies the recurrent constraint |u| <= γ^(1/T) after a step', () => {
    manualSeed(1);
    const model = buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 8, numLayers: 1, seqLen: 10, gamma: 2 } }) as SequenceModel;
    const u = new Map(model.namedParameters()).get('encoder.layers.0.rec.weightHh')!;
    u.assign(tensor(Float32Array.from([5, -5, 0.5, 1.2, -1.2, 0, 1.07, -1.07]), [8]));
    applyRecurrentConstraints(model);
    const bound = 2 ** (1 / 10);
    assertClose(u.data(), [bound, -bound, 0.5, bound, -bound, 0, 1.07, -1.07], 1e-6);
  });
});

describe('step options: gradient clamp and parameter bounds folded into the update', () => {
  it('step({ gradClip, bounds }) equals clipGradValue, step() and the bound clamp done one by one', () => {
    for (const make of [(ps: Parameter[]) => new Adam(ps, { lr: 0.5 }), (ps: Parameter[]) => new SGD(ps, { lr: 0.5, momentum: 0.9 })]) {
      const fused = [param([0.9, -0.2, 0.4]), param([1.5, -3])];
      const plain = fused.map((p) => param([...p.data()]));
      const a = make(fused);
      const b = make(plain);
      const bound = 1.1;
      for (const g of [[[30, -0.5, 2], [0.25, -40]], [[-0.1, 12, -7], [3, 3]]]) {
        fused.forEach((p, i) => (p.grad = tensor(Float32Array.from(g[i]!), [g[i]!.length])));
        plain.forEach((p, i) => (p.grad = tensor(Float32Array.from(g[i]!), [g[i]!.length])));
        a.step({ gradClip: 10, bounds: new Map([[fused[1]!, bound]]) });
        clipGradValue(plain, 10);
        b.step();
        const u = plain[1]!;
        u.assign(tensor(Float32Array.from([...u.data()].map((x) => Math.max(-bound, Math.min(bound, x)))), u.shape));
      }
      fused.forEach((p, i) => assertClose(p.data(), plain[i]!.data(), 0, 0, `parameter ${i}`));
      assert.ok(Math.abs(fused[1]!.data()[1]!) <= bound + 1e-7, 'the bound holds');
      assert.notDeepEqual([...fused[0]!.data()], [0.9, -0.2, 0.4], 'the step changed the parameters');
    }
  });

  it('recurrentBounds lists each enforced |u| bound of a model', () => {
    manualSeed(1);
    const model = buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 8, numLayers: 2, seqLen: 10, gamma: 2 } });
    const names = new Map(model.namedParameters().map(([n, p]) => [p, n]));
    const bounds = [...recurrentBounds(model)].map(([p, b]) => [names.get(p), b]);
    assert.deepEqual(bounds, [['encoder.layers.0.rec.weightHh', 2 ** (1 / 10)], ['encoder.layers.1.rec.weightHh', 2 ** (1 / 10)]]);
  });
});

describe('schedules', () => {
  it('StepLR divides by 10 every stepSize steps', () => {
    const opt = new Adam([param([1])], { lr: 2e-4 });
    const s = new StepLR(opt, 3, 0.1);
    const lrs: number[] = [];
    for (let i = 0; i < 7; i++) {
      s.step();
      lrs.push(opt.lr);
    }
    assertClose(lrs, [2e-4, 2e-4, 2e-5, 2e-5, 2e-5, 2e-6, 2e-6], 1e-12, 1e-9);
  });

  it('reduce-on-plateau restores the best weights and optimizer state, then reduces the lr', () => {
    manualSeed(1);
    const model = buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'indrnn', inputSize: 1, hiddenSize: 2, numLayers: 1 } });
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const sched = new ReduceLROnPlateau(opt, model, { mode: 'min', patience: 1, factor: 0.1, restoreBest: true, minLr: 1e-5 });
    const trainStep = (): void => {
      for (const p of model.parameters()) p.grad = randn(p.shape);
      opt.step();
    };
    trainStep();
    assert.deepEqual(sched.step(1.0), { improved: true, reduced: false, stop: false });
    const best = model.parameters().map((p) => p.toArray());
    const bestOpt = opt.stateDict();
    trainStep();
    assert.equal(sched.step(1.5).reduced, false); // patience 1: one bad evaluation is tolerated
    trainStep();
    const d = sched.step(1.2);
    assert.equal(d.reduced, true);
    assert.deepEqual(model.parameters().map((p) => p.toArray()), best, 'weights restored to the best snapshot');
    assert.equal(opt.stepCount, bestOpt.step, 'optimizer state restored');
    assertClose([opt.lr], [1e-4], 1e-12, 1e-9);
    trainStep();
    sched.step(2);
    trainStep();
    assert.equal(sched.step(2).stop, false);
    trainStep();
    sched.step(2);
    trainStep();
    assert.equal(sched.step(2).stop, true, 'stops once the lr falls below minLr');
  });

  it('shrinks patience as the authors do: int(pThre / 2^k + 0.5)', () => {
    const s = new ReduceLROnPlateau(new Adam([param([1])]), buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'rnn', inputSize: 1, hiddenSize: 1 } }), { patience: 100, shrinkPatience: true });
    const seen: number[] = [];
    for (let k = 0; k < 4; k++) {
      s.reductions = k;
      seen.push(s.currentPatience);
    }
    assert.deepEqual(seen, [100, 50, 25, 13]);
  });
});
