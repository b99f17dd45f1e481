/**
 * ONNX Runtime agreement: every model kind is exported with exportOnnx, run in ONNX Runtime
 * (onnxruntime-web's WebAssembly build, which runs in Node), and compared with the library's own
 * forward on random inputs: several T and B from one export (dynamic axes), with and without
 * lengths, LSTM/RNN both as ONNX operators and as Scans. Bound: 1e-5 relative (max |ours - ort| over
 * max |ours|), float32. The per-kind figures are printed as '# onnx ...' lines.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import {
  decodeModelProto, exportOnnx, Generator, LanguageModel, noGrad, tensor, type Model, type OnnxExportOptions,
} from '../src/index.js';
import { makeModel, MODEL_KINDS, relativeDifference, type ModelKind } from './interop.helpers.js';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

const TOLERANCE = 1e-5;
const figures = new Map<string, number>();

interface Case {
  T: number;
  B: number;
  /** Lengths fed to both sides; null feeds none (or, with a lengths input, an empty tensor). */
  lengths: number[] | null;
}

function inputs(model: Model, c: Case, gen: Generator): { ours: Float32Array | Int32Array; shape: number[] } {
  if (model instanceof LanguageModel) {
    const ids = Int32Array.from({ length: c.T * c.B }, () => Math.floor(gen.uniform(0, model.config.vocabSize)));
    return { ours: ids, shape: [c.T, c.B] };
  }
  const F = model.encoder.inputSize;
  return { ours: Float32Array.from({ length: c.T * c.B * F }, () => gen.normal()), shape: [c.T, c.B, F] };
}

function forward(model: Model, data: Float32Array | Int32Array, shape: number[], lengths: number[] | null): Float32Array {
  const lens = lengths ? tensor(Int32Array.from(lengths), [lengths.length], 'int32') : null;
  return noGrad(() => {
    if (model instanceof LanguageModel) return model.forward(tensor(data, shape, 'int32'), { lengths: lens }).logits.data() as Float32Array;
    return model.forward(tensor(data, shape, 'float32'), { lengths: lens }).data() as Float32Array;
  });
}

async function runOrt(session: ort.InferenceSession, model: Model, data: Float32Array | Int32Array, shape: number[], lengths: number[] | null, withLengthsInput: boolean): Promise<Float32Array> {
  const feeds: Record<string, ort.Tensor> = {};
  if (model instanceof LanguageModel) feeds['ids'] = new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), shape);
  else feeds['input'] = new ort.Tensor('float32', data as Float32Array, shape);
  if (withLengthsInput) {
    const l = lengths ?? [];
    feeds['lengths'] = new ort.Tensor('int64', BigInt64Array.from(l, (v) => BigInt(v)), [l.length]);
  }
  const out = await session.run(feeds);
  return out[model instanceof LanguageModel ? 'logits' : 'output']!.data as Float32Array;
}

async function agreement(kind: ModelKind, seed: number, options: OnnxExportOptions, cases: Case[]): Promise<number> {
  const model = makeModel(kind, seed);
  const bytes = exportOnnx(model, options);
  const session = await ort.InferenceSession.create(bytes);
  const gen = new Generator(seed + 1000);
  let worst = 0;
  try {
    for (const c of cases) {
      const { ours: data, shape } = inputs(model, c, gen);
      const expected = forward(model, data, shape, c.lengths);
      const actual = await runOrt(session, model, data, shape, c.lengths, options.lengths ?? false);
      assert.equal(actual.length, expected.length, `${kind.name}: ONNX output has ${actual.length} values, ours ${expected.length}`);
      const rel = relativeDifference(actual, expected);
      assert.ok(rel <= TOLERANCE, `${kind.name} (T=${c.T}, B=${c.B}, lengths ${JSON.stringify(c.lengths)}): ONNX Runtime differs by ${rel.toExponential(2)} relative`);
      worst = Math.max(worst, rel);
    }
  } finally {
    await session.release();
  }
  return worst;
}

const WITH_LENGTHS: Case[] = [
  { T: 7, B: 3, lengths: [7, 2, 5] },
  { T: 11, B: 2, lengths: [1, 11] },
  { T: 4, B: 1, lengths: null },
];
const NO_LENGTHS: Case[] = [
  { T: 5, B: 2, lengths: null },
  { T: 9, B: 4, lengths: null },
];

function record(name: string, rel: number): void {
  figures.set(name, Math.max(figures.get(name) ?? 0, rel));
}

describe('ONNX export agrees with ONNX Runtime (onnxruntime-web, wasm)', () => {
  after(() => {
    for (const [name, rel] of figures) console.log(`# onnx max relative difference ${rel.toExponential(2)}  ${name}`);
  });

  MODEL_KINDS.forEach((kind, k) => {
    it(kind.name, async () => {
      record(kind.name, await agreement(kind, 100 + k, { lengths: true }, WITH_LENGTHS));
      record(kind.name, await agreement(kind, 200 + k, {}, NO_LENGTHS));
      const recurrentOps = /LSTM|RNN (tanh|relu|identity)/.test(kind.name);
      if (recurrentOps) record(`${kind.name} (as Scan)`, await agreement(kind, 300 + k, { lengths: true, recurrentOps: 'scan' }, WITH_LENGTHS));
    });
  });

  it('writes dynamic T and B axes, a Scan per IndRNN recurrence and the config as metadata', () => {
    const model = makeModel(MODEL_KINDS[0]!, 1);
    const proto = decodeModelProto(exportOnnx(model, { lengths: true }));
    assert.equal(proto.opsetImport[0]!.version, 17);
    const input = proto.graph.input.find((i) => i.name === 'input')!;
    assert.deepEqual(input.type!.tensorType.shape!.dim.map((d) => d.dimParam ?? d.dimValue), ['T', 'B', 3]);
    assert.deepEqual(proto.graph.input.map((i) => i.name), ['input', 'lengths']);
    assert.equal(proto.graph.node.filter((n) => n.opType === 'Scan').length, 3);
    const config = JSON.parse(proto.metadataProps!.find((p) => p.key === 'indrnn.config')!.value);
    assert.deepEqual(config, model.config);
    // initializers carry the state-dict names
    const inits = new Set(proto.graph.initializer!.map((t) => t.name));
    for (const name of ['encoder.layers.0.proj.weight', 'encoder.layers.2.rec.weightHh', 'encoder.layers.1.rec.norm.runningVar', 'head.bias']) {
      assert.ok(inits.has(name), `initializer ${name} missing`);
    }
  });
});
