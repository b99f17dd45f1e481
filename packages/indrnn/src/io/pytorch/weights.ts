/**
 * A model's weights under PyTorch's names (names.ts), both ways: written as a safetensors file that
 * PyTorch loads with load_state_dict(strict=True), and read from a PyTorch state dict (a .pt/.pth or
 * safetensors file, see checkpoint.ts) into the model, checked the way strict loading checks: every
 * tensor the model needs is present once, nothing else is, shapes match, dtypes are floating point.
 */
import type { Model } from '../../nn/models.js';
import type { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../autograd/tape.js';
import { fail, fmtShape } from '../../util/errors.js';
import { encodeSafetensorsRaw } from '../safetensors.js';
import { FLOAT_RAW_DTYPES, int64Scalar, rawSize, rawToTensor, tensorToRaw, type RawTensor } from '../raw.js';
import { nameBindings, type NameOptions, type NameScheme } from './names.js';

export interface PytorchExportOptions extends NameOptions {
  names: NameScheme;
}

/** The model's state dict under PyTorch names, as raw tensors in file order. */
export function pytorchStateDict(model: Model, options: PytorchExportOptions): Map<string, RawTensor> {
  const state = model.stateDict();
  const out = new Map<string, RawTensor>();
  const put = (name: string, t: RawTensor): void => {
    if (out.has(name)) fail(`PyTorch names: internal error, '${name}' is written twice`);
    out.set(name, t);
  };
  for (const b of nameBindings(model, options.names, options)) {
    if (b.kind === 'counter') {
      put(b.external, int64Scalar(0));
      continue;
    }
    const t = state.get(b.ours)!;
    const raw = tensorToRaw(t);
    if (b.kind === 'copy') {
      put(b.external, raw);
    } else {
      put(b.ih, raw);
      put(b.hh, { ...raw, data: new Uint8Array(raw.data.length) });
    }
  }
  return out;
}

/** safetensors bytes of pytorchStateDict (metadata format 'pt', as safetensors.torch writes). */
export function exportPytorchWeights(model: Model, options: PytorchExportOptions): Uint8Array {
  return encodeSafetensorsRaw(pytorchStateDict(model, options), { format: 'pt', 'indrnn.names': options.names });
}

/**
 * The model's state dict (library names, library dtypes) from tensors under PyTorch names. Errors
 * list every missing and every unexpected tensor, every shape mismatch (with both shapes) and every
 * unsupported dtype, naming `source`.
 */
export function stateDictFromPytorch(model: Model, tensors: ReadonlyMap<string, RawTensor>, options: PytorchExportOptions & { source?: string }): Map<string, Tensor> {
  const source = options.source ?? 'weights';
  const state = model.stateDict();
  const used = new Set<string>();
  const missing: string[] = [];
  const problems: string[] = [];
  const out = new Map<string, Tensor>();
  const find = (names: string[]): string | null => {
    const present = names.filter((n) => tensors.has(n));
    if (present.length > 1) problems.push(`both ${present.map((n) => `'${n}'`).join(' and ')} are present; they are spellings of one tensor`);
    return present[0] ?? null;
  };
  const read = (name: string, target: Tensor, what: string): Tensor | null => {
    used.add(name);
    const raw = tensors.get(name)!;
    if (raw.shape.join() !== target.shape.join()) {
      problems.push(`'${name}' has shape ${fmtShape(raw.shape)} in the file but ${what} needs ${fmtShape(target.shape)}`);
      return null;
    }
    if (!FLOAT_RAW_DTYPES.includes(raw.dtype)) {
      problems.push(`'${name}' has dtype ${raw.dtype}; weights must be floating point (F32, F64, F16 or BF16)`);
      return null;
    }
    return rawToTensor(raw, target.dtype, name, source);
  };
  for (const b of nameBindings(model, options.names, options)) {
    if (b.kind === 'counter') {
      if (!tensors.has(b.external)) continue;
      used.add(b.external);
      const raw = tensors.get(b.external)!;
      if (!['I64', 'I32'].includes(raw.dtype) || rawSize(raw.shape) !== 1) problems.push(`'${b.external}' should be an integer scalar, got ${raw.dtype} ${fmtShape(raw.shape)}`);
      continue;
    }
    const target = state.get(b.ours)!;
    const what = `the model's '${b.ours}'`;
    if (b.kind === 'copy') {
      const name = find([b.external, ...b.aliases]);
      if (!name) {
        missing.push(b.aliases.length ? `${b.external} (or ${b.aliases.join(', ')})` : b.external);
        continue;
      }
      const t = read(name, target, what);
      if (t) out.set(b.ours, t);
    } else {
      const absent = [b.ih, b.hh].filter((n) => !tensors.has(n));
      if (absent.length) {
        missing.push(...absent);
        continue;
      }
      const ih = read(b.ih, target, what);
      const hh = read(b.hh, target, what);
      if (ih && hh) out.set(b.ours, noGrad(() => ih.add(hh)));
    }
  }
  const unexpected = [...tensors.keys()].filter((n) => !used.has(n));
  if (missing.length || unexpected.length || problems.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.length} tensor(s): ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`unexpected ${unexpected.length} tensor(s): ${unexpected.join(', ')}`);
    parts.push(...problems);
    fail(`${source}: does not fit the model under '${options.names}' names: ${parts.join('; ')}. Check --from and --config (the model config must describe the same architecture)`);
  }
  return out;
}

/** Loads tensors under PyTorch names into the model (all checks of stateDictFromPytorch first). */
export function loadPytorchWeights(model: Model, tensors: ReadonlyMap<string, RawTensor>, options: PytorchExportOptions & { source?: string }): void {
  model.loadStateDict(stateDictFromPytorch(model, tensors, options));
}

