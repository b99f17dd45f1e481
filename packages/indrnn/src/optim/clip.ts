/** Gradient clipping: element-wise clamp (the authors' clip_gradient) and global-norm clipping. */
import type { Parameter } from '../nn/module.js';
import { checkNumber } from '../util/errors.js';

/** Clamps every gradient element to [-clip, clip] in place. */
export function clipGradValue(params: readonly Parameter[], clip: number): void {
  checkNumber('clipGradValue', 'clip', clip, 0);
  for (const p of params) if (p.grad) p.grad.backend.clampInPlace(p.grad.storage, -clip, clip);
}

/**
 * Scales all gradients so their joint L2 norm is at most maxNorm (torch.nn.utils.clip_grad_norm_).
 * Returns the norm before clipping (NaN/Inf propagate so callers can detect divergence).
 */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number): number {
  checkNumber('clipGradNorm', 'maxNorm', maxNorm, 0);
  let sq = 0;
  for (const p of params) if (p.grad) sq += p.grad.backend.sumSquares(p.grad.storage);
  const norm = Math.sqrt(sq);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const p of params) if (p.grad) p.grad.backend.scaleInPlace(p.grad.storage, scale);
  }
  return norm;
}
