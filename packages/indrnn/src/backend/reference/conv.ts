/**
 * Reference im2col / col2im for channels-last convolutions. A convolution is im2col followed by one
 * GEMM with the [Cout, KH·KW·C] weight, so only this gather (and its adjoint) is conv-specific.
 *   x:    [N, H, W, C]
 *   cols: [N·OH·OW, KH·KW·C], row (n, oh, ow), column (kh, kw, c); zero where the window leaves the image
 *   OH = ⌊(H + 2·padH − KH) / strideH⌋ + 1 (likewise OW)
 */
import type { ConvGeometry } from '../backend.js';
import type { TypedArray } from '../../tensor/dtype.js';
import { like } from './util.js';

export function convOutputSize(g: ConvGeometry): [number, number] {
  return [
    Math.floor((g.H + 2 * g.padH - g.KH) / g.strideH) + 1,
    Math.floor((g.W + 2 * g.padW - g.KW) / g.strideW) + 1,
  ];
}

/**
 * Calls visit(colOffset, pixelOffset) for every (output position, kernel tap) whose input pixel lies
 * inside the image; each pair addresses C contiguous channels in cols and in x.
 */
function forEachTap(g: ConvGeometry, visit: (col: number, pixel: number) => void): void {
  const [OH, OW] = convOutputSize(g);
  const { N, H, W, C, KH, KW } = g;
  const rowLen = KH * KW * C;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const row = ((n * OH + oh) * OW + ow) * rowLen;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * g.strideH - g.padH + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * g.strideW - g.padW + kw;
            if (iw >= 0 && iw < W) visit(row + (kh * KW + kw) * C, ((n * H + ih) * W + iw) * C);
          }
        }
      }
    }
  }
}

export function im2col(x: TypedArray, g: ConvGeometry): TypedArray {
  const [OH, OW] = convOutputSize(g);
  const C = g.C;
  const cols = like(x, g.N * OH * OW * g.KH * g.KW * C);
  forEachTap(g, (col, pixel) => {
    for (let c = 0; c < C; c++) cols[col + c] = x[pixel + c]!;
  });
  return cols;
}

/** The adjoint of im2col: every column entry is added back to the pixel it was read from. */
export function col2im(cols: TypedArray, g: ConvGeometry): TypedArray {
  const C = g.C;
  const x = like(cols, g.N * g.H * g.W * C);
  forEachTap(g, (col, pixel) => {
    for (let c = 0; c < C; c++) x[pixel + c] += cols[col + c]!;
  });
  return x;
}
