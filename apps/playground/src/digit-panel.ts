/**
 * Section 2: a drawing canvas; the sequential-MNIST IndRNN reads the 28×28 version pixel by pixel
 * ([784, 1, 1], time-major) and the page shows the class probabilities and six neurons' states.
 */
import { data, noGrad, ops, tensor, type SequenceModel } from 'indrnn';
import { drawTraces } from './chart.js';
import { toMnist } from './digit-preprocess.js';
import { loadDigitModel } from './models.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const PIXELS = 784;

/** Pointer drawing with a round white brush. */
function enableDrawing(canvas: HTMLCanvasElement, onStroke: () => void): void {
  const ctx = canvas.getContext('2d')!;
  ctx.lineWidth = 22;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#fff';
  let last: [number, number] | null = null;
  const pos = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * canvas.width) / r.width,
      ((e.clientY - r.top) * canvas.height) / r.height,
    ];
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = pos(e);
    ctx.beginPath();
    ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fillStyle = '#fff';
    ctx.fill();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = pos(e);
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
  });
  const end = (): void => {
    if (last) onStroke();
    last = null;
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
}

/** Ink in [0, 1] from the canvas (white strokes on black). */
export function readInk(canvas: HTMLCanvasElement): Float32Array {
  const img = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
  const ink = new Float32Array(canvas.width * canvas.height);
  for (let i = 0; i < ink.length; i++) ink[i] = img[4 * i]! / 255;
  return ink;
}

function showInput(canvas: HTMLCanvasElement, img: Float32Array): void {
  const small = new ImageData(28, 28);
  for (let i = 0; i < PIXELS; i++) {
    const v = Math.round(img[i]! * 255);
    small.data.set([v, v, v, 255], 4 * i);
  }
  const tmp = document.createElement('canvas');
  tmp.width = 28;
  tmp.height = 28;
  tmp.getContext('2d')!.putImageData(small, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

function showProbabilities(table: HTMLTableElement, probs: Float32Array, best: number): void {
  table.replaceChildren(
    ...Array.from(probs, (p, d) => {
      const row = document.createElement('tr');
      if (d === best) row.className = 'best';
      const pct = `${(100 * p).toFixed(1)}%`;
      row.innerHTML = `<td>${d}</td><td class="bar"><div style="width:${pct}"></div></td><td>${pct}</td>`;
      return row;
    }),
  );
}

/** Logits and the last layer's hidden states [784, H] for one image. */
function read(
  model: SequenceModel,
  img: Float32Array,
): { probs: Float32Array; states: Float32Array; hidden: number } {
  const x = new Float32Array(PIXELS);
  for (let t = 0; t < PIXELS; t++) x[t] = data.normalizePixel(Math.round(img[t]! * 255));
  return noGrad(() => {
    const { output } = model.encoder.forward(tensor(x, [PIXELS, 1, 1]));
    const H = output.shape[2]!;
    const last = output.slice([PIXELS - 1, 0, 0], [1, 1, H]).reshape([1, H]);
    const probs = ops.softmax(model.head.forward(last));
    return {
      probs: Float32Array.from(probs.data()),
      states: Float32Array.from(output.data()),
      hidden: H,
    };
  });
}

/** The six neurons whose state varies most over the sequence. */
function liveliest(states: Float32Array, hidden: number, count: number): number[] {
  const variance = Array.from({ length: hidden }, (_, n) => {
    let s = 0;
    let s2 = 0;
    for (let t = 0; t < PIXELS; t++) {
      const v = states[t * hidden + n]!;
      s += v;
      s2 += v * v;
    }
    return s2 / PIXELS - (s / PIXELS) ** 2;
  });
  return variance
    .map((v, n) => [v, n] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, count)
    .map(([, n]) => n);
}

export function setupDigits(): void {
  const canvas = $<HTMLCanvasElement>('digit-canvas');
  const status = $<HTMLParagraphElement>('digit-status');
  const table = $<HTMLTableElement>('digit-probs');
  const model = loadDigitModel();
  model.catch(
    (e: unknown) => (status.textContent = `could not load the MNIST model: ${String(e)}`),
  );

  const predict = async (): Promise<void> => {
    const img = toMnist(readInk(canvas), canvas.width, canvas.height);
    if (!img) {
      status.textContent = 'nothing drawn yet';
      return;
    }
    showInput($<HTMLCanvasElement>('digit-input'), img);
    const t0 = performance.now();
    const { probs, states, hidden } = read(await model, img);
    const ms = performance.now() - t0;
    const best = probs.indexOf(Math.max(...probs));
    showProbabilities(table, probs, best);
    const pct = (100 * probs[best]!).toFixed(1);
    status.textContent = `I read a ${best} (${pct}%) in ${ms.toFixed(0)} ms`;
    status.dataset['prediction'] = String(best);
    status.dataset['probs'] = JSON.stringify(Array.from(probs, (p) => +p.toFixed(5)));
    const neurons = liveliest(states, hidden, 6);
    const traces = neurons.map((n) =>
      Float32Array.from({ length: PIXELS }, (_, t) => states[t * hidden + n]!),
    );
    drawTraces(
      $<HTMLCanvasElement>('digit-trace'),
      traces,
      neurons.map((n) => `neuron ${n}`),
    );
  };
  enableDrawing(canvas, () => void predict());
  $<HTMLButtonElement>('digit-predict').onclick = () => void predict();
  $<HTMLButtonElement>('digit-clear').onclick = () => {
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    table.replaceChildren();
    status.textContent = 'draw a digit, then press “Read it”';
    delete status.dataset['prediction'];
  };
  $<HTMLButtonElement>('digit-clear').click();
}
