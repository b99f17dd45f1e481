/** The playground: compiles the wasm kernels, selects them, and wires up the three sections. */
import { initWasm } from '@indrnn/wasm';
import { setBackend } from 'indrnn';
import { setupAdding } from './adding-panel.js';
import { setupDigits } from './digit-panel.js';
import { setupText } from './text-panel.js';
import { setupOnnx } from './onnx-panel.js';

async function main(): Promise<void> {
  const label = document.getElementById('backend')!;
  try {
    await initWasm();
    setBackend('wasm');
    label.textContent = 'wasm (SIMD, single thread)';
  } catch (e) {
    // the reference backend always works: slower, but the page stays usable
    setBackend('reference');
    const why = e instanceof Error ? e.message : String(e);
    label.textContent = `reference (wasm unavailable: ${why})`;
  }
  document.body.dataset['backend'] = label.textContent;
  setupAdding();
  setupDigits();
  setupText();
  setupOnnx();
  document.body.dataset['ready'] = 'true';
}

void main();
