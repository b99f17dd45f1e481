/**
 * Module: the PyTorch-style container of parameters, buffers and child modules. Parameters and
 * children are registered under literal names in constructors; dotted paths (`layers.0.rec.weightHh`)
 * name them in state dicts, checkpoints and optimizer groups.
 */
import type { Backend } from '../backend/backend.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor, zeros } from '../tensor/tensor.js';
import { referenceBackend } from '../backend/registry.js';
import { fail, fmtShape } from '../util/errors.js';
import { noGrad } from '../autograd/tape.js';

/** A tensor that a module trains. */
export class Parameter extends Tensor {
  constructor(t: Tensor) {
    super(t.storage, t.shape, t.dtype, t.backend);
    this.requiresGrad = true;
  }
}

/** A zero-filled float32 parameter of the given shape (initialisers fill it). */
export function parameter(shape: readonly number[], dtype: DType = 'float32'): Parameter {
  return new Parameter(zeros(shape, dtype));
}

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Parameter>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  protected registerParameter<P extends Parameter>(name: string, p: P): P {
    this.params.set(name, p);
    return p;
  }

  /** Non-trained state that is saved with the model (e.g. BN running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.buffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  namedChildren(): [string, Module][] {
    return [...this.children.entries()];
  }

  /** All modules in the tree, depth first, with their dotted paths ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, p] of m.params) out.push([path ? `${path}.${name}` : name, p]);
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, b] of m.buffers) out.push([path ? `${path}.${name}` : name, b]);
    }
    return out;
  }

  /** Parameters and buffers by dotted name. */
  stateDict(): Map<string, Tensor> {
    return new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into parameters and buffers by name. With strict (default), missing or unexpected
   * names and shape mismatches are errors that list them.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, strict = true): void {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length || unexpected.length)) {
      fail(`loadStateDict: ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${unexpected.join(', ')}` : ''}`);
    }
    for (const [name, target] of own) {
      const src = state.get(name);
      if (!src) continue;
      if (src.shape.join() !== target.shape.join()) {
        fail(`loadStateDict: '${name}' has shape ${fmtShape(src.shape)} in the checkpoint but ${fmtShape(target.shape)} in the model`);
      }
      const cast = src.dtype === target.dtype && src.backend === target.backend ? src.clone() : castTo(src, target.dtype, target.backend);
      target.assign(cast);
    }
  }

  /** Switches training mode (dropout active, BN uses batch statistics) for the whole tree. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Casts every parameter and buffer (e.g. to float64 for gradient checks) and/or moves it to a backend. */
  to(dtype: DType, backend?: Backend): this {
    noGrad(() => {
      for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
        if (t.dtype === 'int32') continue;
        t.assign(castTo(t, dtype, backend ?? t.backend));
      }
    });
    return this;
  }

  /** Settings that differ from defaults, for the printed summary. */
  protected extraRepr(): string {
    return '';
  }

  /** A PyTorch-like tree printout with parameter counts. */
  toString(indent = ''): string {
    const own = [...this.params.values()].reduce((n, p) => n + p.size, 0);
    const head = `${this.constructor.name}(${this.extraRepr()})${own ? `  # ${own.toLocaleString('en-US')} params` : ''}`;
    const lines = [head];
    for (const [name, child] of this.children) lines.push(`${indent}  (${name}): ${child.toString(indent + '  ')}`);
    return lines.join('\n');
  }
}

/**
 * A copy of t with the given dtype on the given backend; dtypes the backend cannot hold (float64 on
 * anything but the reference backend) go to the reference backend, as new tensors do.
 */
export function castTo(t: Tensor, dtype: DType, backend: Backend): Tensor {
  const target = backend.supports(dtype) ? backend : referenceBackend();
  const ref = referenceBackend();
  // cast on the reference backend: host storage is shared, and the source backend may lack the dtype
  const host = ref.toHost(ref.cast(t.backend.toHost(t.storage), dtype));
  return new Tensor(target.fromHost(host), t.shape, dtype, target);
}

/** An indexed list of child modules, named '0', '1', ... */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];

  constructor(items: readonly M[] = []) {
    super();
    for (const m of items) this.push(m);
  }

  push(m: M): void {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (!m) fail(`ModuleList: index ${i} out of range (length ${this.items.length})`);
    return m;
  }
}
