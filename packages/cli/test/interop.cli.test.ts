/**
 * `indrnn export` and `indrnn import` end to end, without PyTorch: the committed PyTorch-written
 * fixtures (test/fixtures/pytorch, see its README) import and reproduce PyTorch's outputs; export then
 * import gives bit-identical weights; bad input fails with a message naming the problem and leaves
 * nothing behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildModel, decodeModelProto, decodeSafetensors, decodeSafetensorsRaw, encodeSafetensorsRaw, Generator, manualSeed, noGrad,
  type ModelConfig, type RawTensor, type SequenceModel,
} from 'indrnn';
import { randomizeBatchNorm } from 'indrnn/testing';
import { loadModel, saveModel } from 'indrnn/node';
import { runCli } from './helpers.js';
import { FIXTURES } from './pytorch.helpers.js';

const BN_CONFIG: ModelConfig = { kind: 'sequence', outputSize: 3, encoder: { type: 'indrnn', inputSize: 2, hiddenSize: 4, numLayers: 2, bn: 'sequence' } };
const LSTM_CONFIG: ModelConfig = { kind: 'sequence', outputSize: 2, encoder: { type: 'lstm', inputSize: 2, hiddenSize: 3, numLayers: 2 } };

describe('indrnn export / import', () => {
  let tmp: string;
  let bnDir: string;
  let lstmDir: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'indrnn-interop-cli-'));
    const save = (config: ModelConfig, name: string, seed: number): string => {
      manualSeed(seed);
      const model = buildModel(config);
      randomizeBatchNorm(model, new Generator(seed));
      const dir = path.join(tmp, name);
      saveModel(dir, model);
      return dir;
    };
    bnDir = save(BN_CONFIG, 'bn-model', 1);
    lstmDir = save(LSTM_CONFIG, 'lstm-model', 2);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const out = (name: string): string => path.join(tmp, name);
  const cli = (...args: string[]) => runCli(args);

  describe('PyTorch-written fixtures', () => {
    for (const [file, from, stem] of [
      ['plain-bn-after.pth', 'authors', 'plain-bn-after'],
      ['plain-bn-after.legacy.pth', 'authors', 'plain-bn-after'],
      ['lstm.pth', 'pytorch', 'lstm'],
    ] as const) {
      it(`${file} (--from ${from}) reproduces PyTorch's logits`, () => {
        const dir = out(`fixture-${file}`);
        const r = cli('import', path.join(FIXTURES, file), '--from', from, '--config', path.join(FIXTURES, `${stem}.model.json`), '--out', dir);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /imported \d+ tensors \(torch-(zip|legacy)/);
        const model = loadModel(dir).eval() as SequenceModel;
        const io = decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(FIXTURES, `${stem}.io.safetensors`)))).tensors;
        const ours = noGrad(() => model.forward(io.get('x')!)).data();
        const theirs = io.get('logits')!.data();
        let diff = 0;
        let scale = 0;
        for (let i = 0; i < theirs.length; i++) {
          diff = Math.max(diff, Math.abs(ours[i]! - theirs[i]!));
          scale = Math.max(scale, Math.abs(theirs[i]!));
        }
        console.log(`# fixture ${file}: max relative difference ${(diff / scale).toExponential(2)}`);
        assert.ok(diff / scale <= 1e-5, `${file}: outputs differ from PyTorch's by ${diff / scale} relative`);
      });
    }
  });

  describe('round trip', () => {
    for (const [names, label, dir] of [['pytorch', 'IndRNN with BN', () => bnDir], ['authors', 'IndRNN with BN', () => bnDir], ['pytorch', 'LSTM', () => lstmDir]] as const) {
      it(`export --names ${names} then import gives bit-identical weights (${label})`, () => {
        const file = out(`${path.basename(dir())}.${names}.safetensors`);
        const e = cli('export', dir(), '--format', 'safetensors', '--names', names, '--out', file);
        assert.equal(e.code, 0, e.stderr);
        const back = out(`${path.basename(dir())}.${names}.back`);
        const i = cli('import', file, '--from', names, '--config', dir(), '--out', back);
        assert.equal(i.code, 0, i.stderr);
        // model.safetensors holds the state dict in the library's own order and names: equal bytes = equal bits
        assert.deepEqual(fs.readFileSync(path.join(back, 'model.safetensors')), fs.readFileSync(path.join(dir(), 'model.safetensors')));
      });
    }

    it('export --format onnx writes a model with the requested inputs', () => {
      const file = out('bn.onnx');
      const r = cli('export', bnDir, '--format', 'onnx', '--lengths', '--out', file, '--json');
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.deepEqual(summary.inputs, ['input float32 [T, B, 2]', 'lengths int64 [B]']);
      const proto = decodeModelProto(new Uint8Array(fs.readFileSync(file)));
      assert.deepEqual(proto.graph.input.map((i) => i.name), ['input', 'lengths']);
      assert.deepEqual(proto.graph.output.map((o) => o.name), ['output']);
    });
  });

  describe('bad input: a clear error and nothing written', () => {
    /** The exported pytorch-names file with edits. */
    const edited = (name: string, edit: (t: Map<string, RawTensor>) => void): string => {
      const src = out('bn.pytorch.safetensors');
      if (!fs.existsSync(src)) assert.equal(cli('export', bnDir, '--format', 'safetensors', '--names', 'pytorch', '--out', src).code, 0);
      const { tensors } = decodeSafetensorsRaw(new Uint8Array(fs.readFileSync(src)));
      edit(tensors);
      const file = out(name);
      fs.writeFileSync(file, encodeSafetensorsRaw(tensors));
      return file;
    };
    const importFails = (file: string, pattern: RegExp, config = bnDir): void => {
      const dir = out(`${path.basename(file)}.never`);
      const r = cli('import', file, '--from', 'pytorch', '--config', config, '--out', dir);
      assert.equal(r.code, 2, `expected failure, got ${r.code}: ${r.stdout}`);
      assert.match(r.stderr, pattern);
      assert.ok(!fs.existsSync(dir), `${dir} was created`);
      assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('.never')), [], 'a temporary directory was left behind');
    };

    it('a missing tensor is named', () => {
      importFails(edited('missing.safetensors', (t) => t.delete('encoder.layers.1.rec.weight_hh')), /missing 1 tensor\(s\): encoder\.layers\.1\.rec\.weight_hh/);
    });
    it('an extra tensor is named', () => {
      importFails(edited('extra.safetensors', (t) => t.set('encoder.layers.2.rec.weight_hh', t.get('encoder.layers.1.rec.weight_hh')!)), /unexpected 1 tensor\(s\): encoder\.layers\.2\.rec\.weight_hh/);
    });
    it('a wrong shape names the tensor and both shapes', () => {
      importFails(edited('shape.safetensors', (t) => {
        const w = t.get('head.weight')!;
        t.set('head.weight', { ...w, shape: [w.shape[1]!, w.shape[0]!] });
      }), /'head\.weight' has shape \[4, 3\] in the file but the model's 'head\.weight' needs \[3, 4\]/);
    });
    it('an unsupported dtype is named', () => {
      importFails(edited('dtype.safetensors', (t) => {
        const b = t.get('head.bias')!;
        t.set('head.bias', { ...b, dtype: 'I32' });
      }), /'head\.bias' has dtype I32; weights must be floating point/);
    });
    it('a pickle that asks for another class is refused and nothing runs', () => {
      // the legacy torch.save layout (magic, protocol, system info) with os.system('touch ...') as the object
      const marker = out('pwned');
      const cmd = new TextEncoder().encode(`touch ${marker}`);
      const pickle = (...parts: (number[] | Uint8Array | string)[]): number[] =>
        parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : [...p]));
      const magic = [0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];
      const bytes = pickle(magic, [0x80, 2, 0x4d, 0xe9, 0x03, 0x2e], [0x80, 2, 0x7d, 0x2e],
        [0x80, 2], 'cos\nsystem\n', [0x58, cmd.length, 0, 0, 0], cmd, [0x85, 0x52, 0x2e]);
      const file = out('evil.pth');
      fs.writeFileSync(file, Uint8Array.from(bytes));
      importFails(file, /asks for os\.system, which a state_dict never needs.*nothing from the file was executed/);
      assert.ok(!fs.existsSync(marker), 'the pickle ran a command');
    });
    it('a truncated file is reported as such', () => {
      const good = fs.readFileSync(path.join(FIXTURES, 'plain-bn-after.pth'));
      const file = out('truncated.pth');
      fs.writeFileSync(file, good.subarray(0, good.length - 100));
      importFails(file, /truncated or corrupt/, path.join(FIXTURES, 'plain-bn-after.model.json'));
    });
    it('an --out directory holding files is not touched without --force', () => {
      const file = out('bn.pytorch.safetensors');
      if (!fs.existsSync(file)) assert.equal(cli('export', bnDir, '--format', 'safetensors', '--names', 'pytorch', '--out', file).code, 0);
      const busy = out('busy');
      fs.mkdirSync(busy);
      fs.writeFileSync(path.join(busy, 'keep.txt'), 'x');
      const r = cli('import', file, '--from', 'pytorch', '--config', bnDir, '--out', busy);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /already holds files; choose another directory or pass --force/);
      assert.deepEqual(fs.readdirSync(busy), ['keep.txt']);
    });
    it('export --names authors of a model the authors cannot express fails and writes nothing', () => {
      const file = out('lstm.authors.safetensors');
      const r = cli('export', lstmDir, '--format', 'safetensors', '--names', 'authors', '--out', file);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /a LSTM encoder has no counterpart in the authors' classes/);
      assert.ok(!fs.existsSync(file));
      assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')), []);
    });
    it('flags that do not fit the format are refused', () => {
      const r = cli('export', bnDir, '--format', 'onnx', '--names', 'pytorch', '--out', out('x.onnx'));
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--names and --authors-cell apply to --format safetensors/);
      const n = cli('export', out('nowhere'), '--format', 'onnx', '--out', out('x.onnx'));
      assert.match(n.stderr, /does not exist/);
    });
  });
});


