/**
 * How a model's state-dict names map to PyTorch's. Two schemes:
 *
 * - `pytorch`: PyTorch's conventions on our module tree. Every path component in snake_case
 *   (`encoder.layers.0.rec.weight_hh`, `encoder.rec_last.norm.running_mean`); BN modules also carry
 *   `num_batches_tracked` (int64, written 0: the library does not count batches); LSTM and RNN stacks
 *   are one torch.nn.LSTM / torch.nn.RNN module each, `<path>.weight_ih_l{k}`, `weight_hh_l{k}`,
 *   `bias_ih_l{k}`, `bias_hh_l{k}`, with PyTorch's gate order i, f, g, o (the library's own order, so
 *   no rows move). The library has one bias per layer; it is written as bias_ih with bias_hh = 0, and
 *   read back as their sum. A bidirectional encoder is two modules, `<path>.fwd` and `<path>.bwd`.
 *
 * - `authors`: the module names of the authors' IndRNN_pytorch classes (stackedIndRNN_encoder,
 *   ResidualNet, DenseNet) for sequence models with a plain, residual or dense IndRNN encoder, so that
 *   their classes load the file with load_state_dict(strict=True). Inside each IndRNNwithBN the
 *   recurrence is `indrnn1.weight_hh` (their CUDA module) or `indrnn1.indrnn_cell.weight_hh` (their
 *   CPU module); both spellings are read, and `authorsCell` picks the one written.
 */
import type { Model } from '../../nn/models.js';
import { SequenceModel } from '../../nn/models.js';
import { BatchNorm } from '../../nn/layers.js';
import { DenseIndRNN, IndRecurrent, PlainIndRNN, ResidualIndRNN } from '../../nn/indrnn.js';
import { LSTMLayer, RNNLayer } from '../../nn/rnn.js';
import { fail } from '../../util/errors.js';

export type NameScheme = 'pytorch' | 'authors';
export const NAME_SCHEMES: readonly NameScheme[] = ['pytorch', 'authors'];

/** One external tensor (or pair) and the state-dict entry it carries. */
export type Binding =
  /** The same values under another name (aliases are other spellings accepted on import). */
  | { kind: 'copy'; ours: string; external: string; aliases: string[] }
  /** Our single RNN/LSTM bias = PyTorch's bias_ih + bias_hh. */
  | { kind: 'biasSum'; ours: string; ih: string; hh: string }
  /** BN's num_batches_tracked: written as 0, optional and ignored on import. */
  | { kind: 'counter'; external: string };

export interface NameOptions {
  /** authors scheme: write the recurrence as `indrnn1.indrnn_cell.weight_hh` (their CPU module). */
  authorsCell?: boolean;
}

export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

const snakePath = (path: string): string => path.split('.').map(snakeCase).join('.');

/** The bindings of a model's every parameter and buffer under a scheme, in state-dict order. */
export function nameBindings(model: Model, scheme: NameScheme, options: NameOptions = {}): Binding[] {
  if (scheme === 'pytorch') return pytorchBindings(model);
  if (scheme === 'authors') return authorsBindings(model, options);
  fail(`PyTorch names: unknown scheme ${JSON.stringify(scheme)}; expected ${NAME_SCHEMES.join(' or ')}`);
}

function pytorchBindings(model: Model): Binding[] {
  // LSTM/RNN layers at '<stack>.layers.<k>' become parameters of one torch module at '<stack>'
  const rnnLayers = new Map<string, { stack: string; k: string }>();
  const bnPaths: string[] = [];
  for (const [path, m] of model.namedModules()) {
    if (m instanceof LSTMLayer || m instanceof RNNLayer) {
      const match = /^(.*)\.layers\.(\d+)$/.exec(path);
      if (!match) fail(`PyTorch names: internal error, recurrent layer at '${path}' is not in a stack`);
      rnnLayers.set(path, { stack: snakePath(match[1]!), k: match[2]! });
    }
    if (m instanceof BatchNorm) bnPaths.push(path);
  }
  const out: Binding[] = [];
  for (const [name] of model.stateDict()) {
    const dot = name.lastIndexOf('.');
    const layer = rnnLayers.get(name.slice(0, dot));
    if (layer) {
      const leaf = name.slice(dot + 1);
      const p = `${layer.stack}.`;
      if (leaf === 'bias') out.push({ kind: 'biasSum', ours: name, ih: `${p}bias_ih_l${layer.k}`, hh: `${p}bias_hh_l${layer.k}` });
      else out.push({ kind: 'copy', ours: name, external: `${p}${leaf === 'weightIh' ? 'weight_ih' : 'weight_hh'}_l${layer.k}`, aliases: [] });
      continue;
    }
    out.push({ kind: 'copy', ours: name, external: snakePath(name), aliases: [] });
  }
  for (const p of bnPaths) out.push({ kind: 'counter', external: `${snakePath(p)}.num_batches_tracked` });
  return out;
}

type Role = { theirs: string; kind: 'linear' } | { theirs: string; kind: 'rec'; rec: IndRecurrent };

const AUTHORS_CLASSES = "the authors' classes (stackedIndRNN_encoder, ResidualNet, DenseNet)";

function authorsBindings(model: Model, options: NameOptions): Binding[] {
  if (!(model instanceof SequenceModel)) fail(`PyTorch names 'authors': ${AUTHORS_CLASSES} are classifiers; a ${model.constructor.name} has no counterpart there (use --names pytorch)`);
  const roles = new Map<string, Role>();
  const enc = model.encoder;
  const rec = (ours: string, theirs: string, r: IndRecurrent): void => {
    if (!r.norm) fail(`PyTorch names 'authors': ${ours} has no batch norm, but every IndRNNwithBN of ${AUTHORS_CLASSES} has one (train with --bn sequence, or use --names pytorch)`);
    if (r.norm.mode !== 'sequence') fail(`PyTorch names 'authors': ${ours} has ${r.norm.mode}-wise BN; ${AUTHORS_CLASSES} use sequence-wise BN (Batch_norm_overtime)`);
    if (r.activation !== 'relu') fail(`PyTorch names 'authors': ${ours} uses ${r.activation}; the authors' recurrence is relu`);
    roles.set(ours, { theirs, kind: 'rec', rec: r });
  };
  const lin = (ours: string, theirs: string): void => void roles.set(ours, { theirs, kind: 'linear' });
  if (enc instanceof PlainIndRNN) {
    enc.layers.items.forEach((layer, i) => {
      lin(`encoder.layers.${i}.proj`, `DIs.${i}.fc`);
      rec(`encoder.layers.${i}.rec`, `RNNs.${i}`, layer.rec);
    });
  } else if (enc instanceof ResidualIndRNN) {
    lin('encoder.fc0', 'features.fc0.fc');
    enc.blocks.items.forEach((block, i) => {
      const t = `features.resblock${i + 1}`;
      rec(`encoder.blocks.${i}.rec1`, `${t}.IndRNNwithBN1`, block.rec1);
      lin(`encoder.blocks.${i}.fc1`, `${t}.fc1.fc`);
      rec(`encoder.blocks.${i}.rec2`, `${t}.IndRNNwithBN2`, block.rec2);
      lin(`encoder.blocks.${i}.fc2`, `${t}.fc2.fc`);
    });
    rec('encoder.recLast', 'features.IndRNNwithBN_last', enc.recLast);
  } else if (enc instanceof DenseIndRNN) {
    if (!enc.fc0 || !enc.rec0) fail(`PyTorch names 'authors': this dense IndRNN has no first layer (firstSize 0), but the authors' DenseNet always has fc0 and IndRNNwithBN0`);
    lin('encoder.fc0', 'features.fc0.fc');
    rec('encoder.rec0', 'features.IndRNNwithBN0', enc.rec0);
    const nBlocks = enc.blocks.length;
    enc.blocks.items.forEach((block, b) => {
      block.items.forEach((layer, i) => {
        const t = `features.denseblock${b + 1}.denselayer${i + 1}`;
        const o = `encoder.blocks.${b}.${i}`;
        lin(`${o}.fc1`, `${t}.fc1.fc`);
        rec(`${o}.rec1`, `${t}.IndRNNwithBN1`, layer.rec1);
        lin(`${o}.fc2`, `${t}.fc2.fc`);
        rec(`${o}.rec2`, `${t}.IndRNNwithBN2`, layer.rec2);
      });
    });
    enc.transitions.items.forEach((tr, t) => {
      // transitions follow blocks 0..n-2; one after the last block is the authors' 'lastlayer'
      const theirs = t === nBlocks - 1 ? 'features.lastlayer' : `features.transition${t + 1}`;
      lin(`encoder.transitions.${t}.fc`, `${theirs}.fc.fc`);
      rec(`encoder.transitions.${t}.rec`, `${theirs}.IndRNNwithBN`, tr.rec);
    });
  } else {
    fail(`PyTorch names 'authors': a ${enc.constructor.name} encoder has no counterpart in ${AUTHORS_CLASSES} (use --names pytorch)`);
  }
  lin('head', 'classifier');
  const out: Binding[] = [];
  const counters: string[] = [];
  for (const [name] of model.stateDict()) {
    const dot = name.lastIndexOf('.');
    let prefix = name.slice(0, dot);
    let leaf = name.slice(dot + 1);
    if (prefix.endsWith('.norm')) {
      prefix = prefix.slice(0, -'.norm'.length);
      leaf = `norm.${leaf}`;
    }
    const role = roles.get(prefix);
    if (!role) fail(`PyTorch names 'authors': internal error, no authors' name for '${name}'`);
    if (role.kind === 'linear') {
      out.push({ kind: 'copy', ours: name, external: `${role.theirs}.${leaf}`, aliases: [] });
      continue;
    }
    if (leaf === 'weightHh') {
      const cuda = `${role.theirs}.indrnn1.weight_hh`;
      const cpu = `${role.theirs}.indrnn1.indrnn_cell.weight_hh`;
      out.push({ kind: 'copy', ours: name, external: options.authorsCell ? cpu : cuda, aliases: [options.authorsCell ? cuda : cpu] });
      continue;
    }
    const bn = { 'norm.weight': 'weight', 'norm.bias': 'bias', 'norm.runningMean': 'running_mean', 'norm.runningVar': 'running_var' }[leaf];
    if (!bn) fail(`PyTorch names 'authors': internal error, no authors' name for '${name}'`);
    out.push({ kind: 'copy', ours: name, external: `${role.theirs}.norm1.bn.${bn}`, aliases: [] });
    if (bn === 'weight') counters.push(`${role.theirs}.norm1.bn.num_batches_tracked`);
  }
  for (const c of counters) out.push({ kind: 'counter', external: c });
  return out;
}
