/**
 * PyTorch interop, checked in PyTorch itself (interop/pytorch/check.py; skipped where python3-torch
 * is not installed):
 * - weights exported with --names authors load with load_state_dict(strict=True) into the authors'
 *   classifiers (plain, residual, dense IndRNN with BN before and after) and give the same logits;
 *   with INDRNN_AUTHORS_DIR set to a checkout of IndRNN_pytorch, into their own classes;
 * - weights exported with --names pytorch load strictly into torch.nn.LSTM / torch.nn.RNN (gate order);
 * - state dicts saved by torch.save (zip and legacy format) come back through `indrnn import` with
 *   the same outputs.
 * Bound: 1e-5 relative (max |difference| / max |reference|), float32. Figures print as '# pytorch ...'.
 * Also run by `npm run check:pytorch`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildModel, decodeSafetensors, encodeSafetensors, exportPytorchWeights, Generator, manualSeed, noGrad, tensor,
  type ModelConfig, type NameScheme, type SequenceModel, type Tensor,
} from 'indrnn';
import { randomizeBatchNorm } from 'indrnn/testing';
import { loadModel } from 'indrnn/node';
import { runCli } from './helpers.js';
import { runCheck, torchPython } from './pytorch.helpers.js';

const PYTHON = torchPython();
const skip = PYTHON ? false : 'python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread), or set INDRNN_PYTHON';
if (skip) console.log(`# skipped: ${skip}`);
const AUTHORS_DIR = process.env['INDRNN_AUTHORS_DIR'];
const TOLERANCE = 1e-5;

interface ExportCase {
  name: string;
  scheme: NameScheme;
  arch: 'plain' | 'res' | 'dense' | 'lstm' | 'rnn';
  config: ModelConfig;
  /** Parameters of the PyTorch model, in check.py's keys. */
  params: Record<string, unknown>;
  nested?: boolean;
}

const F = 3;
// inputs weights wider than the authors' kaiming_uniform(a=8), so every logit depends on the input
const bn = (where: 'before' | 'after') => ({ bn: 'sequence' as const, bnPosition: where, inputInit: { kind: 'uniform' as const, low: -0.7, high: 0.7 } });
const location = (where: 'before' | 'after') => `bn_${where}`;

const EXPORT_CASES: ExportCase[] = [
  ...(['after', 'before'] as const).flatMap((w): ExportCase[] => [
    {
      name: `plain IndRNN, BN ${w}`, scheme: 'authors', arch: 'plain',
      config: { kind: 'sequence', outputSize: 5, encoder: { type: 'indrnn', inputSize: F, hiddenSize: 8, numLayers: 3, ...bn(w) } },
      params: { input_size: F, hidden_size: 8, num_layers: 3, num_classes: 5, bn_location: location(w) },
    },
    {
      name: `residual IndRNN, BN ${w}`, scheme: 'authors', arch: 'res',
      config: { kind: 'sequence', outputSize: 4, encoder: { type: 'res-indrnn', inputSize: F, hiddenSize: 6, numBlocks: 2, ...bn(w) } },
      params: { input_size: F, hidden_size: 6, num_blocks: 2, num_classes: 4, bn_location: location(w) },
    },
    {
      name: `dense IndRNN, BN ${w}`, scheme: 'authors', arch: 'dense',
      config: { kind: 'sequence', outputSize: 4, encoder: { type: 'dense-indrnn', inputSize: F, growthRate: 2, blockConfig: [2, 1], firstSize: 4, bottleneckFactor: 2, ...bn(w) } },
      params: { input_size: F, num_classes: 4, growth_rate: 2, block_config: [2, 1], num_init_features: 4, bn_size: 2, add_last_layer: true, bn_location: location(w) },
    },
  ]),
  {
    name: 'dense IndRNN without the last transition', scheme: 'authors', arch: 'dense',
    config: { kind: 'sequence', outputSize: 3, encoder: { type: 'dense-indrnn', inputSize: F, growthRate: 3, blockConfig: [1, 2], firstSize: 6, bottleneckFactor: 2, addLastLayer: false, ...bn('after') } },
    params: { input_size: F, num_classes: 3, growth_rate: 3, block_config: [1, 2], num_init_features: 6, bn_size: 2, add_last_layer: false, bn_location: 'bn_after' },
  },
  {
    name: 'plain IndRNN, u as indrnn1.indrnn_cell.weight_hh', scheme: 'authors', arch: 'plain', nested: true,
    config: { kind: 'sequence', outputSize: 2, encoder: { type: 'indrnn', inputSize: F, hiddenSize: 4, numLayers: 2, ...bn('after') } },
    params: { input_size: F, hidden_size: 4, num_layers: 2, num_classes: 2, bn_location: 'bn_after' },
  },
  {
    name: 'LSTM, 2 layers (torch.nn.LSTM)', scheme: 'pytorch', arch: 'lstm',
    config: { kind: 'sequence', outputSize: 3, encoder: { type: 'lstm', inputSize: F, hiddenSize: 5, numLayers: 2 } },
    params: { input_size: F, hidden_size: 5, num_layers: 2, num_classes: 3 },
  },
  ...(['tanh', 'relu'] as const).map((nl): ExportCase => ({
    name: `RNN ${nl} (torch.nn.RNN)`, scheme: 'pytorch', arch: 'rnn',
    config: { kind: 'sequence', outputSize: 3, encoder: { type: 'rnn', inputSize: F, hiddenSize: 4, numLayers: 2, nonlinearity: nl } },
    params: { input_size: F, hidden_size: 4, num_layers: 2, num_classes: 3, nonlinearity: nl },
  })),
];

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-pytorch-'));
}

function relativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

describe('PyTorch interop (python3-torch)', { skip }, () => {
  const dirs: string[] = [];
  const figures: string[] = [];
  before(() => {
    console.log(`# python with torch: ${PYTHON}`);
  });
  after(() => {
    for (const f of figures) console.log(`# pytorch ${f}`);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('exported weights load with strict=True into the PyTorch models and give the same logits', () => {
    const dir = tmpDir();
    dirs.push(dir);
    const manifest = EXPORT_CASES.map((c, i) => {
      manualSeed(10 + i);
      const model = buildModel(c.config) as SequenceModel;
      randomizeBatchNorm(model, new Generator(20 + i));
      model.eval();
      const gen = new Generator(30 + i);
      const x = tensor(Float32Array.from({ length: 9 * 4 * F }, () => gen.normal()), [9, 4, F]);
      const logits = noGrad(() => model.forward(x));
      assertInputMatters(logits, c.name);
      const file = `case${i}`;
      // with the authors' own classes, their CPU recurrence nests u (indrnn1.indrnn_cell.weight_hh)
      const authorsCell = c.nested || (c.scheme === 'authors' && Boolean(AUTHORS_DIR));
      fs.writeFileSync(path.join(dir, `${file}.safetensors`), exportPytorchWeights(model, { names: c.scheme, authorsCell }));
      fs.writeFileSync(path.join(dir, `${file}.io.safetensors`), encodeSafetensors([['x', x], ['logits', logits]]));
      return { name: c.name, scheme: c.scheme, arch: c.arch, params: c.params, nested: authorsCell, weights: `${file}.safetensors`, io: `${file}.io.safetensors` };
    });
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ cases: manifest }, null, 2));
    const results = runCheck(PYTHON!, ['load', dir, ...(AUTHORS_DIR ? ['--authors-dir', AUTHORS_DIR] : [])]);
    assert.equal(results.length, EXPORT_CASES.length, 'check.py reported fewer cases than it was given');
    for (const r of results) {
      const rel = r['max_rel_diff'] as number;
      figures.push(`strict=True ${r['scheme']} names, ${r['name']} [${r['implementation']}]: max relative difference ${rel.toExponential(2)}`);
      assert.equal(r['strict'], true);
      assert.ok(rel <= TOLERANCE, `${r['name']}: PyTorch logits differ by ${rel} relative`);
    }
  });

  it('state dicts saved by torch.save (zip and legacy) come back through `indrnn import` with the same outputs', () => {
    const dir = tmpDir();
    dirs.push(dir);
    runCheck(PYTHON!, ['save', dir]);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
      cases: { name: string; scheme: NameScheme; files: string[]; keyed: string[]; io: string; config: string }[];
    };
    let checked = 0;
    for (const c of manifest.cases) {
      for (const [file, key] of [...c.files.map((f) => [f, null] as const), ...c.keyed.map((f) => [f, 'state_dict'] as const)]) {
        const out = path.join(dir, `${file}.model`);
        const r = runCli(['import', path.join(dir, file), '--from', c.scheme, '--config', path.join(dir, c.config), '--out', out, '--json', ...(key ? ['--key', key] : [])]);
        assert.equal(r.code, 0, `indrnn import ${file}: ${r.stderr}`);
        const model = loadModel(out).eval() as SequenceModel;
        const io = readIo(path.join(dir, c.io));
        assertInputMatters(io.logits, `${c.name} (PyTorch)`);
        const logits = noGrad(() => model.forward(io.x)).data();
        const rel = relativeDifference(logits, io.logits.data());
        figures.push(`.pth import (${JSON.parse(r.stdout).format}, --from ${c.scheme}${key ? ` --key ${key}` : ''}) ${file}: max relative difference ${rel.toExponential(2)}`);
        assert.ok(rel <= TOLERANCE, `${file}: imported model's outputs differ from PyTorch's by ${rel} relative`);
        checked++;
      }
    }
    assert.ok(checked >= 7, `only ${checked} files checked`);
  });
});

/** The logits differ between the sequences of the batch, so the comparison exercises the whole net. */
function assertInputMatters(logits: Tensor, name: string): void {
  const [B, C] = logits.shape as [number, number];
  const v = logits.data();
  let spread = 0;
  let scale = 0;
  for (let c = 0; c < C; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let b = 0; b < B; b++) {
      lo = Math.min(lo, v[b * C + c]!);
      hi = Math.max(hi, v[b * C + c]!);
      scale = Math.max(scale, Math.abs(v[b * C + c]!));
    }
    spread = Math.max(spread, hi - lo);
  }
  assert.ok(spread > 1e-2 * scale, `${name}: the logits hardly depend on the input (spread ${spread}, scale ${scale}); the check would be weak`);
}

function readIo(file: string): { x: Tensor; logits: Tensor } {
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(file)), file);
  return { x: tensors.get('x')!, logits: tensors.get('logits')! };
}

