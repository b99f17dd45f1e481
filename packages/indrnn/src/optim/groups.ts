/**
 * Parameter groups the way the authors' code builds them: weight decay on weight matrices only, none
 * on IndRNN recurrent weights (u), biases or batch-norm parameters (Deep IndRNN §5.1).
 */
import { Module, type Parameter } from '../nn/module.js';
import { BatchNorm } from '../nn/layers.js';
import { IndRecurrent } from '../nn/indrnn.js';
import type { ParamGroup } from './optimizer.js';

export function weightDecayGroups(model: Module, weightDecay: number, opts: { decayNorm?: boolean } = {}): ParamGroup[] {
  const noDecay = new Set<Parameter>();
  for (const [, m] of model.namedModules()) {
    if (m instanceof IndRecurrent) noDecay.add(m.weightHh);
    if (m instanceof BatchNorm && !opts.decayNorm) {
      noDecay.add(m.weight);
      noDecay.add(m.bias);
    }
  }
  for (const [name, p] of model.namedParameters()) {
    const last = name.slice(name.lastIndexOf('.') + 1);
    if (last === 'bias' || last === 'decoderBias') noDecay.add(p);
  }
  const params = model.parameters();
  return [
    { params: params.filter((p) => !noDecay.has(p)), weightDecay },
    { params: params.filter((p) => noDecay.has(p)), weightDecay: 0 },
  ].filter((g) => g.params.length > 0);
}
