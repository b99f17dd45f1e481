/**
 * Define-by-run autograd. Every differentiable op that sees an input requiring grad records a Node
 * holding its inputs, outputs and a backward rule. `backward(loss)` walks the nodes in reverse
 * topological order, summing gradients per tensor, and accumulates into `.grad` of leaf tensors
 * (parameters). Backward rules run with recording off.
 */
import { temporary, type Tensor } from '../tensor/tensor.js';
import { fail, fmtShape } from '../util/errors.js';

/**
 * Gradient rule: gradients of the outputs in (null = no gradient reached it), of the inputs out.
 * `needs[i]` says whether input i wants a gradient, so rules can skip work nobody uses (e.g. the
 * input-data side of a matmul).
 */
export type BackwardRule = (
  gradOutputs: readonly (Tensor | null)[],
  needs: readonly boolean[],
) => readonly (Tensor | null)[];

export class Node {
  constructor(
    readonly op: string,
    readonly inputs: readonly Tensor[],
    readonly outputs: readonly Tensor[],
    public rule: BackwardRule | null,
  ) {}
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (like torch.no_grad), restoring the previous mode. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Records an op on the tape when recording is on and some input requires grad. Marks the outputs as
 * requiring grad and links them to the node.
 */
export function record(op: string, inputs: readonly Tensor[], outputs: readonly Tensor[], rule: BackwardRule): void {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return;
  const node = new Node(op, inputs, outputs, rule);
  outputs.forEach((t, i) => {
    t.requiresGrad = true;
    t.node = node;
    t.outputIndex = i;
  });
}

/**
 * Back-propagates from `root` (a scalar unless `gradient` is given) into every tensor that requires
 * grad. Gradients accumulate into `.grad` of leaves. The graph is freed afterwards unless retainGraph.
 */
export function backward(root: Tensor, gradient?: Tensor, retainGraph = false): void {
  if (!root.requiresGrad) fail('backward: the tensor does not require grad (was it computed inside noGrad, or from no parameters?)');
  if (!gradient && root.size !== 1) {
    fail(`backward: called on a tensor of shape ${fmtShape(root.shape)}; pass a gradient of the same shape or reduce to a scalar first`);
  }
  const seed = gradient ?? temporary(root.onesLike());
  if (gradient && gradient.shape.join() !== root.shape.join()) {
    fail(`backward: gradient shape ${fmtShape(gradient.shape)} does not match tensor shape ${fmtShape(root.shape)}`);
  }

  // reverse topological order of nodes reachable from root
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: [Node, boolean][] = root.node ? [[root.node, false]] : [];
  while (stack.length) {
    const [node, done] = stack.pop()!;
    if (done) {
      order.push(node);
      continue;
    }
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push([node, true]);
    for (const inp of node.inputs) if (inp.node && !seen.has(inp.node)) stack.push([inp.node, false]);
  }

  const grads = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor): void => {
    if (g.shape.join() !== t.shape.join()) {
      fail(`backward: internal error, gradient of shape ${fmtShape(g.shape)} for a tensor of shape ${fmtShape(t.shape)}`);
    }
    if (!t.node) {
      t.grad = t.grad ? t.grad.add(g) : g;
      return;
    }
    const prev = grads.get(t);
    grads.set(t, prev ? prev.add(g) : g);
  };

  const prevMode = gradEnabled;
  gradEnabled = false;
  try {
    accumulate(root, seed);
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i]!;
      const gOut = node.outputs.map((t) => grads.get(t) ?? null);
      for (const t of node.outputs) grads.delete(t);
      if (gOut.every((g) => g === null)) continue;
      if (!node.rule) fail(`backward: the graph through '${node.op}' was already freed by an earlier backward(); pass retainGraph = true to call backward twice`);
      const gIn = node.rule(gOut, node.inputs.map((t) => t.requiresGrad));
      node.inputs.forEach((inp, j) => {
        const g = gIn[j];
        if (g && inp.requiresGrad) accumulate(inp, g);
      });
      if (!retainGraph) node.rule = null;
    }
  } finally {
    gradEnabled = prevMode;
  }
}
