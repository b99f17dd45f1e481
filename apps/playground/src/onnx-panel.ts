/**
 * Section 4: the digit model exported to ONNX in the page (exportOnnx returns bytes; no server
 * involved) and run in ONNX Runtime Web (WebAssembly, loaded only when the button is pressed), beside
 * the library's own forward on the same drawing: predictions, the largest difference, a download.
 */
import { data, exportOnnx, noGrad, tensor } from 'indrnn';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { readInk } from './digit-panel.js';
import { toMnist } from './digit-preprocess.js';
import { loadDigitModel } from './models.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const PIXELS = 784;

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

export function setupOnnx(): void {
  const button = $<HTMLButtonElement>('onnx-run');
  const status = $<HTMLParagraphElement>('onnx-status');
  const table = $<HTMLTableElement>('onnx-results');
  const link = $<HTMLAnchorElement>('onnx-download');
  let url: string | null = null;

  const run = async (): Promise<void> => {
    const canvas = $<HTMLCanvasElement>('digit-canvas');
    const img = toMnist(readInk(canvas), canvas.width, canvas.height);
    if (!img) {
      status.textContent = 'draw a digit in section 2 first';
      return;
    }
    button.disabled = true;
    delete status.dataset['done'];
    try {
      status.textContent = 'exporting…';
      const model = await loadDigitModel();
      let t0 = performance.now();
      const bytes = exportOnnx(model);
      const exportMs = performance.now() - t0;
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }));
      link.href = url;
      link.hidden = false;

      status.textContent = 'starting ONNX Runtime…';
      const ort = await import('onnxruntime-web/wasm');
      // the wasm file is an asset of this page (never a CDN); no threads without cross-origin isolation
      ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, document.baseURI).href };
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(bytes);

      const x = new Float32Array(PIXELS);
      for (let t = 0; t < PIXELS; t++) x[t] = data.normalizePixel(Math.round(img[t]! * 255));
      t0 = performance.now();
      const ours = noGrad(() => Float32Array.from(model.forward(tensor(x, [PIXELS, 1, 1])).data()));
      const oursMs = performance.now() - t0;
      t0 = performance.now();
      const result = await session.run({ input: new ort.Tensor('float32', x, [PIXELS, 1, 1]) });
      const ortMs = performance.now() - t0;
      await session.release();
      const theirs = result['output']!.data as Float32Array;

      let diff = 0;
      let scale = 0;
      for (let i = 0; i < ours.length; i++) {
        diff = Math.max(diff, Math.abs(ours[i]! - theirs[i]!));
        scale = Math.max(scale, Math.abs(ours[i]!));
      }
      const rel = diff / scale;
      const rows: [string, number, number][] = [
        ['indrnn (wasm kernels)', argmax(ours), oursMs],
        ['ONNX Runtime Web', argmax(theirs), ortMs],
      ];
      table.replaceChildren(
        ...rows.map(([name, digit, ms]) => {
          const tr = document.createElement('tr');
          tr.innerHTML = `<td>${name}</td><td>reads a ${digit}</td><td>${ms.toFixed(0)} ms</td>`;
          return tr;
        }),
      );
      status.textContent = `model.onnx: ${(bytes.length / 1024).toFixed(0)} KiB, exported in ${exportMs.toFixed(0)} ms; largest logit difference ${rel.toExponential(1)} (relative)`;
      Object.assign(status.dataset, {
        bytes: String(bytes.length),
        indrnn: String(argmax(ours)),
        ort: String(argmax(theirs)),
        relDiff: String(rel),
        done: 'true',
      });
    } catch (e) {
      status.textContent = `ONNX Runtime failed: ${e instanceof Error ? e.message : String(e)}`;
      status.dataset['error'] = status.textContent;
    } finally {
      button.disabled = false;
    }
  };
  button.onclick = () => void run();
}
