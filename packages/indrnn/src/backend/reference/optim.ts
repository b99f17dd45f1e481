/** Reference optimizer updates, written as the single-tensor loops of torch.optim. */
import type { AdamHyper, SgdHyper } from '../backend.js';
import type { TypedArray } from '../../tensor/dtype.js';

/**
 * Adam (Kingma & Ba) with PyTorch's L2 weight decay:
 *   g ← g + wd·p;  m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;
 *   p ← p - lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + eps)
 */
export function adamStep(param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, hp: AdamHyper): void {
  const bc1 = 1 - Math.pow(hp.beta1, hp.step);
  const bc2 = 1 - Math.pow(hp.beta2, hp.step);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! + hp.weightDecay * param[i]!;
    const mi = hp.beta1 * m[i]! + (1 - hp.beta1) * g;
    const vi = hp.beta2 * v[i]! + (1 - hp.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i]! - (hp.lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + hp.eps);
  }
}

/**
 * SGD with momentum as torch.optim.SGD:
 *   g ← g + wd·p;  buf ← g on the first step, else momentum·buf + (1-dampening)·g;
 *   d ← nesterov ? g + momentum·buf : buf;  p ← p - lr·d
 */
export function sgdStep(param: TypedArray, grad: TypedArray, buf: TypedArray, hp: SgdHyper): void {
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! + hp.weightDecay * param[i]!;
    let d = g;
    if (hp.momentum !== 0) {
      const b = hp.hasMomentum ? hp.momentum * buf[i]! + (1 - hp.dampening) * g : g;
      buf[i] = b;
      d = hp.nesterov ? g + hp.momentum * b : b;
    }
    param[i] = param[i]! - hp.lr * d;
  }
}
