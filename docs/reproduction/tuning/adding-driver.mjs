// The scratch driver behind the adding T=5000 tuning logs in this folder (see README.md), kept as it
// ran; the CLI's --curriculum and the quick preset are what came out of it.
// usage (after npm run build): STAGES=400/600:5000 node docs/reproduction/tuning/adding-driver.mjs NAME T STEPS key=value...
//   keys: lr ulr batch drop (one lr drop ÷10 at that step) dropEvery tf (TF reproduction init) evalEvery seed
//   STAGES: LEN[/LEN…]:UNTIL_STEP,… training lengths by step (alternating within a stage), then T
// writes NAME.jsonl in the current folder: {step, T (last training length), loss, val (MSE of 100 sequences at T), s}
import { Adam, Generator, manualSeed, buildModel, recurrentBounds, applyRecurrentConstraints, clipGradValue, data, ops, tidy, getBackend } from '../../../packages/indrnn/dist/src/index.js';
import '../../../packages/native/dist/lib/index.js';
import * as fs from 'node:fs';
const [name, Ts, stepsS, ...kv] = process.argv.slice(2);
const o = Object.fromEntries(kv.map((s) => s.split('=')).map(([k, v]) => [k, Number(v)]));
const T = Number(Ts), steps = Number(stepsS);
const lr = o.lr ?? 2e-4, ulr = o.ulr ?? lr, B = o.batch ?? 50, seed = o.seed ?? 1;
const dropAt = o.drop ?? 1e9, dropEvery = o.dropEvery ?? 1e9;
const curT = o.curT ?? T, curSteps = o.curSteps ?? 0, evalEvery = o.evalEvery ?? 250;
manualSeed(seed);
const maxU = Math.pow(2, 1 / T);
const tfInit = o.tf ? { recurrentInit: { kind: 'uniform', low: -maxU, high: maxU }, lastLayerInit: { kind: 'constant', value: 1 } } : { lastLayerInit: true };
const model = buildModel({ kind: 'sequence', outputSize: 1, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 128, numLayers: 2, seqLen: T, gamma: 2, inputInit: { kind: 'normal', std: 0.001 }, ...tfInit } });
const named = [...model.namedParameters()];
const uP = named.filter(([n]) => n.endsWith('weightHh')).map(([, p]) => p);
const rest = named.filter(([n]) => !n.endsWith('weightHh')).map(([, p]) => p);
const opt = new Adam([{ params: rest, lr }, { params: uP, lr: ulr }], { lr, weightDecay: 0 });
applyRecurrentConstraints(model);
const bounds = recurrentBounds(model);
const gen = new Generator(seed * 1000 + 1);
const evalGen = () => new Generator(seed * 1000 + 2);
const logFile = `${name}.jsonl`; fs.writeFileSync(logFile, "");
const t0 = Date.now();
function evaluate() {
  const g = evalGen(); let s = 0;
  for (let i = 0; i < 5; i++) s += tidy(() => { const { x, y } = data.addingBatch({ seqLen: T, batchSize: 20, generator: g }); return ops.mseLoss(model.forward(x), y).item(); });
  return s / 5;
}
let dropped = 0;
for (let step = 1; step <= steps; step++) {
  // curriculum: T grows geometrically from curT to T over the first curSteps steps (grow=1), or jumps (grow=0)
  const hold = o.hold ?? 0;
  // stages=1: T = 500 for 1500 steps, 1000 and 2000 for 500 each, then T (a few distinct lengths keep the buffer pool warm)
  const spec = (process.env.STAGES||'').split(',').filter(Boolean).map((e)=>{ const [ls, u] = e.split(':'); return [ls.split('/').map(Number), Number(u)]; });
  const st = spec.find(([, until]) => step <= until);
  const stageT = spec.length ? (st ? st[0][step % st[0].length] : T) : o.stages ? (step <= 1500 ? 500 : step <= 2000 ? 1000 : step <= 2500 ? 2000 : T) : null;
  const tt = stageT !== null ? stageT : step <= hold ? curT : step <= hold + curSteps ? (o.grow ? Math.round(curT * Math.pow(T / curT, (step - hold - 1) / curSteps)) : curT) : T;
  const loss = tidy(() => {
    const { x, y } = data.addingBatch({ seqLen: tt, batchSize: B, generator: gen });
    const l = ops.mseLoss(model.forward(x), y);
    opt.zeroGrad(); l.backward();
    opt.step({ gradClip: 10, bounds });
    return l.item();
  });
  const nd = (step >= dropAt ? 1 : 0) + Math.floor(step / dropEvery);
  while (dropped < nd) { opt.scaleLr(0.1); dropped++; }
  if (step % evalEvery === 0) {
    const v = evaluate();
    fs.appendFileSync(logFile, JSON.stringify({ step, T: tt, loss, val: v, s: (Date.now() - t0) / 1000 }) + "\n");
  }
}

