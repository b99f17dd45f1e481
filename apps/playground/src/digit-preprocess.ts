/**
 * Turns a drawing into an MNIST-style 28×28 image, the way MNIST itself was made: crop to the ink,
 * scale the longer side to 20 pixels (area averaging), and place it so its centre of mass sits at
 * the centre of the 28×28 frame. Values are ink in [0, 1].
 */
const SIDE = 28;
const BOX = 20;

/** ink[y·width + x] in [0, 1] → 28×28 ink, or null when nothing is drawn. */
export function toMnist(ink: Float32Array, width: number, height: number): Float32Array | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > 0.05) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const cw = x1 - x0 + 1;
  const ch = y1 - y0 + 1;
  const scale = BOX / Math.max(cw, ch);
  const sw = Math.max(1, Math.round(cw * scale));
  const sh = Math.max(1, Math.round(ch * scale));
  // area-average each target pixel over the source pixels it covers
  const small = new Float32Array(sw * sh);
  for (let ty = 0; ty < sh; ty++) {
    for (let tx = 0; tx < sw; tx++) {
      const sx0 = x0 + (tx * cw) / sw;
      const sx1 = x0 + ((tx + 1) * cw) / sw;
      const sy0 = y0 + (ty * ch) / sh;
      const sy1 = y0 + ((ty + 1) * ch) / sh;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(sy0); y < Math.ceil(sy1); y++) {
        const wy = Math.min(y + 1, sy1) - Math.max(y, sy0);
        for (let x = Math.floor(sx0); x < Math.ceil(sx1); x++) {
          const wx = Math.min(x + 1, sx1) - Math.max(x, sx0);
          sum += wx * wy * ink[y * width + x]!;
          area += wx * wy;
        }
      }
      small[ty * sw + tx] = area > 0 ? sum / area : 0;
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = small[y * sw + x]!;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const clampOffset = (v: number, size: number): number => Math.max(0, Math.min(SIDE - size, v));
  const ox = clampOffset(Math.round(SIDE / 2 - (mass > 0 ? mx / mass : sw / 2) - 0.5), sw);
  const oy = clampOffset(Math.round(SIDE / 2 - (mass > 0 ? my / mass : sh / 2) - 0.5), sh);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) out[(oy + y) * SIDE + ox + x] = Math.min(1, small[y * sw + x]!);
  }
  return out;
}
