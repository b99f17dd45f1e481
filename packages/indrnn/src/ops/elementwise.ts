/** Differentiable elementwise ops with NumPy broadcasting. Each forward sits beside its backward rule. */
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { record } from '../autograd/tape.js';
import { broadcastShapes, type Shape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { asTensor, checkDtypesMatch, checkFloat, sameBackend, wrap } from './util.js';
import { sumTo } from './reduce.js';

function binaryForward(op: BinaryOp, a: Tensor, b: Tensor, outShape: Shape): Tensor {
  return wrap(a.backend.binary(op, a.storage, a.shape, b.storage, b.shape, outShape), outShape, a);
}

function binary(op: BinaryOp, aIn: TensorLike, bIn: TensorLike): Tensor {
  if (typeof aIn === 'number' && typeof bIn === 'number') throw new TypeError(`${op}: needs at least one tensor`);
  const a = typeof aIn === 'number' ? asTensor(aIn, bIn as Tensor) : aIn;
  const b = asTensor(bIn, a);
  checkDtypesMatch(op, a, b);
  sameBackend(op, a, b);
  const outShape = broadcastShapes(op, a.shape, b.shape);
  const out = binaryForward(op, a, b, outShape);
  record(op, [a, b], [out], ([g]) => binaryGrad(op, a, b, out, g!));
  return out;
}

function binaryGrad(op: BinaryOp, a: Tensor, b: Tensor, out: Tensor, g: Tensor): (Tensor | null)[] {
  switch (op) {
    case 'add': // d(a+b) = da + db
      return [sumTo(g, a.shape), sumTo(g, b.shape)];
    case 'sub': // d(a-b) = da - db
      return [sumTo(g, a.shape), sumTo(neg(g), b.shape)];
    case 'mul': // d(ab) = b da + a db
      return [sumTo(mul(g, b), a.shape), sumTo(mul(g, a), b.shape)];
    case 'div': // d(a/b) = da / b - a db / b²
      return [sumTo(div(g, b), a.shape), sumTo(neg(mul(g, div(out, b))), b.shape)];
    case 'maximum':
    case 'minimum': {
      // max(a,b) = (a + b + |a-b|)/2, min(a,b) = (a + b - |a-b|)/2; ties split the gradient
      const d = sub(a, b);
      const s = wrap(a.backend.unaryGrad('abs', d.storage, d.storage, g.storage), g.shape, g);
      const signed = op === 'maximum' ? s : neg(s);
      return [sumTo(mul(add(g, signed), 0.5), a.shape), sumTo(mul(sub(g, signed), 0.5), b.shape)];
    }
  }
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', a, b);

function unary(op: UnaryOp, x: Tensor): Tensor {
  checkFloat(op, 'input', x);
  const y = wrap(x.backend.unary(op, x.storage), x.shape, x);
  record(op, [x], [y], ([g]) => [wrap(x.backend.unaryGrad(op, x.storage, y.storage, g!.storage), x.shape, x)]);
  return y;
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);

/** y = x·scale + shift with numbers; d y = scale · dx. */
export function affine(x: Tensor, scale: number, shift = 0): Tensor {
  checkFloat('affine', 'input', x);
  const y = wrap(x.backend.affine(x.storage, scale, shift), x.shape, x);
  record('affine', [x], [y], ([g]) => [wrap(x.backend.affine(g!.storage, scale, 0), x.shape, x)]);
  return y;
}
