// Optimizer updates in place, f32x4. Twin of reference/optim.ts (torch.optim semantics); the
// bias corrections 1 - β^t and the complements 1 - β are formed on the JS side in f64 (1 - β2
// taken in f32 would be off by 5e-5 relative, since β2 = 0.999 is not exact in f32).
import { at } from './util';

/**
 * Adam with L2 weight decay:  g ← g + wd·p;  m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;
 *   p ← p - lr · (m / bc1) / (sqrt(v / bc2) + eps);  c1 = 1 - β1, c2 = 1 - β2
 */
export function adamStep(
  p: usize, grad: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, c1: f32, c2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32,
): void {
  const vb1 = f32x4.splat(beta1);
  const vb2 = f32x4.splat(beta2);
  const vc1 = f32x4.splat(c1);
  const vc2 = f32x4.splat(c2);
  const vwd = f32x4.splat(wd);
  const vlr = f32x4.splat(lr);
  const veps = f32x4.splat(eps);
  const vbc1 = f32x4.splat(bc1);
  const vbc2 = f32x4.splat(bc2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pv = v128.load(at(p, i));
    const g = f32x4.add(v128.load(at(grad, i)), f32x4.mul(vwd, pv));
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(at(m, i))), f32x4.mul(vc1, g));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(at(v, i))), f32x4.mul(vc2, f32x4.mul(g, g)));
    v128.store(at(m, i), mi);
    v128.store(at(v, i), vi);
    const denom = f32x4.add(f32x4.sqrt(f32x4.div(vi, vbc2)), veps);
    v128.store(at(p, i), f32x4.sub(pv, f32x4.div(f32x4.mul(vlr, f32x4.div(mi, vbc1)), denom)));
  }
  for (; i < n; i++) {
    const pv = load<f32>(at(p, i));
    const g = load<f32>(at(grad, i)) + wd * pv;
    const mi = beta1 * load<f32>(at(m, i)) + c1 * g;
    const vi = beta2 * load<f32>(at(v, i)) + c2 * g * g;
    store<f32>(at(m, i), mi);
    store<f32>(at(v, i), vi);
    store<f32>(at(p, i), pv - (lr * (mi / bc1)) / (Mathf.sqrt(vi / bc2) + eps));
  }
}

/**
 * SGD with momentum:  g ← g + wd·p;  buf ← g (first step) or momentum·buf + (1-dampening)·g;
 *   d ← nesterov ? g + momentum·buf : buf;  p ← p - lr·d.  momentum == 0 leaves buf untouched;
 *   undamped = 1 - dampening.
 */
export function sgdStep(
  p: usize, grad: usize, buf: usize, n: i32,
  lr: f32, momentum: f32, undamped: f32, nesterov: bool, wd: f32, hasMomentum: bool,
): void {
  for (let i = 0; i < n; i++) {
    const pv = load<f32>(at(p, i));
    const g = load<f32>(at(grad, i)) + wd * pv;
    let d = g;
    if (momentum != 0) {
      const b = hasMomentum ? momentum * load<f32>(at(buf, i)) + undamped * g : g;
      store<f32>(at(buf, i), b);
      d = nesterov ? g + momentum * b : b;
    }
    store<f32>(at(p, i), pv - lr * d);
  }
}
