/**
 * Section 3: samples text from the character-level IndRNN. The prompt runs as one sequence, then
 * each new character is one step with the carried states and stream position (frame-wise BN keeps
 * running statistics per position).
 */
import { Generator, noGrad, tensor, type LanguageModel, type Tensor } from 'indrnn';
import { loadCharModel } from './models.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Samples an id from logits / temperature. */
function sample(logits: ArrayLike<number>, temperature: number, gen: Generator): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const w = Array.from(logits, (v) => Math.exp((v - max) / temperature));
  let r = gen.random() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < w.length; i++) {
    r -= w[i]!;
    if (r <= 0) return i;
  }
  return w.length - 1;
}

/** Runs ids [T] through the model from the given states; returns the last step's logits. */
function step(
  model: LanguageModel,
  ids: number[],
  states: Tensor[] | null,
  position: number,
): { last: Float32Array; states: Tensor[] } {
  return noGrad(() => {
    const out = model.forward(tensor(Int32Array.from(ids), [ids.length, 1], 'int32'), {
      states,
      position,
    });
    const V = out.logits.shape[2]!;
    const all = out.logits.data();
    return {
      last: Float32Array.from(all.subarray((ids.length - 1) * V, ids.length * V)),
      states: out.states,
    };
  });
}

/**
 * The largest stream position to pass. Training caps the carried BN position at 2·T (the authors'
 * rule, experiments/textlm.ts), and the CLI sizes frame-wise BN with maxPositions = 4·T + 1, so the
 * running statistics of later positions were never trained: stay at 2·T = (maxPositions - 1) / 2.
 */
function positionCap(model: LanguageModel): number {
  const encoder = model.config.encoder as { bnOptions?: { maxPositions?: number } };
  const max = encoder.bnOptions?.maxPositions;
  return max ? Math.floor((max - 1) / 2) : Number.MAX_SAFE_INTEGER;
}

export function setupText(): void {
  const output = $<HTMLPreElement>('text-output');
  const status = $<HTMLParagraphElement>('text-status');
  const button = $<HTMLButtonElement>('text-generate');
  const loaded = loadCharModel();
  loaded.catch(
    (e: unknown) => (status.textContent = `could not load the language model: ${String(e)}`),
  );

  button.onclick = async (): Promise<void> => {
    const { model, tokens } = await loaded;
    const index = new Map(tokens.map((t, i) => [t, i]));
    const prompt = $<HTMLInputElement>('text-prompt').value;
    const length = Math.max(
      1,
      Math.min(2000, Number($<HTMLInputElement>('text-length').value) || 1),
    );
    const temperature = Math.max(0.05, Number($<HTMLInputElement>('text-temperature').value) || 1);
    const gen = new Generator(Number($<HTMLInputElement>('text-seed').value) || 0);
    const known = [...prompt].filter((c) => index.has(c));
    const ids = known.length > 0 ? known.map((c) => index.get(c)!) : [index.get('\n') ?? 0];
    button.disabled = true;
    delete status.dataset['done'];
    const t0 = performance.now();
    let text = known.join('');
    output.textContent = text;
    const cap = positionCap(model);
    let { last, states } = step(model, ids, null, 0);
    let position = Math.min(ids.length, cap);
    for (let i = 0; i < length; i++) {
      const id = sample(last, temperature, gen);
      text += tokens[id]!;
      ({ last, states } = step(model, [id], states, position));
      position = Math.min(position + 1, cap);
      if (i % 25 === 24) {
        output.textContent = text;
        await new Promise((resolve) => setTimeout(resolve, 0)); // let the page paint
      }
    }
    output.textContent = text;
    const s = (performance.now() - t0) / 1000;
    const rate = (length / s).toFixed(0);
    status.textContent = `${length} characters in ${s.toFixed(2)} s (${rate} chars/s)`;
    status.dataset['done'] = 'true';
    button.disabled = false;
  };
}
