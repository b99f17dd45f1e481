/**
 * The restricted unpickler and the .pth reader: state dicts written by PyTorch read correctly, any
 * other global is refused by name, and fuzzing (mutated real pickles and checkpoints, random bytes,
 * spliced-in dangerous globals) gives 0 crashes (every failure is an IndrnnError) and 0 executed
 * classes (no call returns after a global outside the allowlist was asked for, and no result holds one).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { unzipSync, zipSync } from 'fflate';
import { ALLOWED_GLOBALS, Generator, IndrnnError, readWeightFile, unpickle, type PickleValue } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('../../../cli/test/fixtures/pytorch/', import.meta.url));
const fixture = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(FIXTURES + name));

const enc = (s: string): number[] => [...new TextEncoder().encode(s)];
const unicode = (s: string): number[] => [0x58, ...u32(enc(s).length), ...enc(s)];
function u32(n: number): number[] {
  return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
}

/** A torch.save zip archive holding the given data.pkl (and storages). */
function torchZip(pickle: number[] | Uint8Array, storages: Record<string, Uint8Array> = {}): Uint8Array {
  const files: Record<string, Uint8Array> = { 'archive/data.pkl': Uint8Array.from(pickle), 'archive/version': Uint8Array.from(enc('3\n')) };
  for (const [k, v] of Object.entries(storages)) files[`archive/data/${k}`] = v;
  return zipSync(files, { level: 0 });
}

/** Protocol-2 pickle of {name: tensor} with one float storage '0' of n elements (contiguous [n]). */
function stateDictPickle(name: string, n: number): number[] {
  return [
    0x80, 2, ...enc('ccollections\nOrderedDict\n'), 0x29, 0x52, 0x28, ...unicode(name),
    ...enc('ctorch._utils\n_rebuild_tensor_v2\n'), 0x28,
    0x28, ...unicode('storage'), ...enc('ctorch\nFloatStorage\n'), ...unicode('0'), ...unicode('cpu'), 0x4b, n, 0x74, 0x51,
    0x4b, 0, 0x4b, n, 0x85, 0x4b, 1, 0x85, 0x89, ...enc('ccollections\nOrderedDict\n'), 0x29, 0x52, 0x74, 0x52,
    0x75, 0x2e,
  ];
}

const DANGEROUS = ['os\nsystem', 'builtins\neval', 'builtins\nexec', 'subprocess\nPopen', 'posix\nsystem', 'torch\nload', '__builtin__\ngetattr', 'collections\nnamedtuple', 'torch._utils\n_rebuild_qtensor', 'numpy.core.multiarray\n_reconstruct'];

describe('restricted unpickler', () => {
  it('reads a hand-built state dict: OrderedDict, _rebuild_tensor_v2, FloatStorage', () => {
    const data = new Float32Array([1.5, -2, 3.25]);
    const w = readWeightFile(torchZip(stateDictPickle('layer.weight', 3), { '0': new Uint8Array(data.buffer) }), { source: 'hand.pth' });
    assert.equal(w.format, 'torch-zip');
    const t = w.tensors.get('layer.weight')!;
    assert.deepEqual([t.dtype, t.shape], ['F32', [3]]);
    assert.deepEqual([...new Float32Array(t.data.buffer, t.data.byteOffset, 3)], [1.5, -2, 3.25]);
  });

  it('reads the PyTorch-written fixtures (zip and legacy) to the same tensors', () => {
    const zip = readWeightFile(fixture('plain-bn-after.pth'), { source: 'zip' });
    const legacy = readWeightFile(fixture('plain-bn-after.legacy.pth'), { source: 'legacy' });
    assert.equal(zip.format, 'torch-zip');
    assert.equal(legacy.format, 'torch-legacy');
    assert.deepEqual([...zip.tensors.keys()], [...legacy.tensors.keys()]);
    for (const [name, t] of zip.tensors) assert.deepEqual(legacy.tensors.get(name), t, name);
    assert.ok(zip.tensors.has('RNNs.0.indrnn1.weight_hh'));
    assert.equal(zip.tensors.get('RNNs.0.norm1.bn.num_batches_tracked')!.dtype, 'I64');
  });

  for (const g of DANGEROUS) {
    const qualified = g.replace('\n', '.');
    it(`refuses ${qualified} by name`, () => {
      const pickle = [0x80, 2, ...enc(`c${g}\n`), ...unicode('echo hi'), 0x85, 0x52, 0x2e];
      assert.throws(() => readWeightFile(torchZip(pickle), { source: 'evil.pth' }), (e: Error) => {
        assert.ok(e instanceof IndrnnError);
        assert.match(e.message, new RegExp(`evil\\.pth.*asks for ${qualified.replace(/\./g, '\\.')}, which a state_dict never needs`));
        return true;
      });
    });
  }

  it('refuses STACK_GLOBAL of another class, and opcodes that build objects', () => {
    const stack = [0x80, 4, 0x8c, 8, ...enc('builtins'), 0x8c, 4, ...enc('eval'), 0x93, 0x2e];
    assert.throws(() => unpickle(Uint8Array.from(stack), { source: 's' }), /asks for builtins\.eval/);
    for (const [op, name] of [[0x69, 'INST'], [0x6f, 'OBJ'], [0x92, 'NEWOBJ_EX'], [0x82, 'EXT1']] as const) {
      assert.throws(() => unpickle(Uint8Array.from([0x80, 2, 0x28, op, 0x2e]), { source: 's' }), new RegExp(`opcode ${name} .*refused`));
    }
  });

  it('explains a checkpoint dict and picks its state dict with key', () => {
    // {'epoch': 3, 'state_dict': OrderedDict(w -> tensor)}
    const inner = stateDictPickle('w', 2).slice(2, -1);
    const pickle = [0x80, 2, 0x7d, 0x28, ...unicode('epoch'), 0x4b, 3, ...unicode('state_dict'), ...inner, 0x75, 0x2e];
    const bytes = torchZip(pickle, { '0': new Uint8Array(8) });
    assert.throws(() => readWeightFile(bytes, { source: 'ckpt.pth' }), /is a checkpoint dict \(keys epoch, state_dict\), not a state dict; pick the weights with --key state_dict/);
    assert.deepEqual([...readWeightFile(bytes, { source: 'ckpt.pth', key: 'state_dict' }).tensors.keys()], ['w']);
    assert.throws(() => readWeightFile(bytes, { source: 'ckpt.pth', key: 'model' }), /has no entry 'model'; its keys are epoch, state_dict/);
  });

  it('checks storage bounds: a tensor reading past its storage is an error', () => {
    const bytes = torchZip(stateDictPickle('w', 5), { '0': new Uint8Array(8) });
    assert.throws(() => readWeightFile(bytes, { source: 'short.pth' }), /short\.pth: the storage of 'w' holds 8 bytes, less than its 5 F32 elements/);
  });
});

describe('unpickler fuzzing', () => {
  it('0 crashes and 0 executed classes over mutated pickles, checkpoints and random bytes', () => {
    const gen = new Generator(14);
    const rand = (n: number): number => Math.floor(gen.uniform(0, n));
    const zipFixture = fixture('plain-bn-after.pth');
    const dataPkl = (zip: Uint8Array): Uint8Array => Object.entries(unzipSync(zip)).find(([k]) => k.endsWith('/data.pkl'))![1];
    const pickles = [
      dataPkl(zipFixture),
      dataPkl(fixture('lstm.pth')),
      Uint8Array.from(stateDictPickle('a.b', 4)),
    ];
    const files = [zipFixture, fixture('plain-bn-after.legacy.pth'), fixture('lstm.pth')];
    const splices = [...DANGEROUS.map((g) => enc(`c${g}\n`)), [0x93], [0x52], [0x81], [0x62], [0x51], [0x28], [0x2e], [0x8a, 0xff], [0x58, 0xff, 0xff, 0xff, 0x7f], [0x6a, 0xff, 0xff, 0, 0]];
    const mutate = (src: Uint8Array): Uint8Array => {
      const b = [...src];
      const edits = 1 + rand(6);
      for (let e = 0; e < edits; e++) {
        const at = rand(b.length + 1);
        switch (rand(6)) {
          case 0: b[at] = rand(256); break;
          case 1: b.splice(at, 0, rand(256)); break;
          case 2: b.splice(at, 1 + rand(16)); break;
          case 3: b.splice(at, 0, ...splices[rand(splices.length)]!); break;
          case 4: b.splice(at, 0, ...b.slice(rand(b.length), rand(b.length))); break;
          default: b.length = Math.min(b.length, at);
        }
      }
      return Uint8Array.from(b);
    };
    let runs = 0;
    let crashes = 0;
    let refusedGlobals = 0;
    let executed = 0;
    let parsed = 0;
    const crashSamples: string[] = [];
    const check = (fn: (onGlobal: (q: string, allowed: boolean) => void) => unknown): void => {
      runs++;
      let disallowed = false;
      const onGlobal = (_q: string, allowed: boolean): void => {
        if (!allowed) disallowed = true;
      };
      try {
        const result = fn(onGlobal);
        parsed++;
        // returning normally after a refused global, or with a foreign global inside, would be an executed class
        if (disallowed || holdsForeignGlobal(result as PickleValue)) executed++;
      } catch (e) {
        if (!(e instanceof IndrnnError)) {
          crashes++;
          if (crashSamples.length < 3) crashSamples.push(String((e as Error).stack ?? e));
        } else if (disallowed) {
          refusedGlobals++;
        }
      }
    };
    for (let i = 0; i < 4000; i++) {
      const p = mutate(pickles[i % pickles.length]!);
      check((onGlobal) => unpickle(p, { source: 'fuzz', onGlobal, persistentLoad: () => ({ kind: 'storage', storageType: 'FloatStorage', key: '0', numel: 4 }) }).value);
    }
    for (let i = 0; i < 1500; i++) {
      const f = mutate(files[i % files.length]!);
      check((onGlobal) => [...readWeightFile(f, { source: 'fuzz.pth', onGlobal }).tensors.keys()]);
    }
    for (let i = 0; i < 1500; i++) {
      const p = mutate(pickles[i % pickles.length]!);
      const z = torchZip(p, { '0': new Uint8Array(64), '1': new Uint8Array(64) });
      check((onGlobal) => [...readWeightFile(z, { source: 'fuzz.pth', onGlobal }).tensors.keys()]);
    }
    for (let i = 0; i < 1000; i++) {
      const r = Uint8Array.from({ length: 1 + rand(200) }, () => rand(256));
      if (i % 2) r[0] = 0x80;
      check((onGlobal) => unpickle(r, { source: 'random', onGlobal }).value);
    }
    console.log(`# unpickler fuzz: ${runs} inputs, ${crashes} crashes, ${executed} executed classes, ${refusedGlobals} refused a foreign global, ${parsed} parsed`);
    assert.equal(crashes, 0, `crashes:\n${crashSamples.join('\n---\n')}`);
    assert.equal(executed, 0);
    assert.ok(refusedGlobals > 100, `only ${refusedGlobals} inputs reached a foreign global; the fuzz does not exercise the allowlist`);
    assert.ok(parsed > 100, `only ${parsed} inputs parsed; the mutations are too destructive to exercise the reader`);
  });
});

function holdsForeignGlobal(v: PickleValue, seen = new Set<unknown>()): boolean {
  if (v === null || typeof v !== 'object' || seen.has(v)) return false;
  seen.add(v);
  if ('qualified' in v && typeof (v as { qualified: unknown }).qualified === 'string') return !ALLOWED_GLOBALS.has((v as { qualified: string }).qualified);
  if (Array.isArray(v)) return v.some((x) => holdsForeignGlobal(x, seen));
  if (v instanceof Map) return [...v].some(([k, x]) => holdsForeignGlobal(k, seen) || holdsForeignGlobal(x, seen));
  if ('items' in v) return (v as { items: PickleValue[] }).items.some((x) => holdsForeignGlobal(x, seen));
  return false;
}
