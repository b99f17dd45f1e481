/**
 * The bundled models: weights trained by the indrnn CLI (see models/README.md), loaded as
 * model.json + model.safetensors. Vite turns each `new URL(..., import.meta.url)` into a file of
 * the built page, so nothing is fetched from outside it.
 */
import { deserializeModel, type LanguageModel, type SequenceModel } from 'indrnn';

const MNIST_CONFIG = new URL('../models/mnist/model.json', import.meta.url);
const MNIST_WEIGHTS = new URL('../models/mnist/model.safetensors', import.meta.url);
const CHAR_CONFIG = new URL('../models/char-lm/model.json', import.meta.url);
const CHAR_WEIGHTS = new URL('../models/char-lm/model.safetensors', import.meta.url);
const CHAR_VOCAB = new URL('../models/char-lm/vocab.json', import.meta.url);

async function fetchOk(url: URL): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.pathname}: HTTP ${r.status}`);
  return r;
}

async function load(config: URL, weights: URL): Promise<unknown> {
  const [text, bytes] = await Promise.all([
    fetchOk(config).then((r) => r.text()),
    fetchOk(weights).then((r) => r.arrayBuffer()),
  ]);
  const model = deserializeModel(text, new Uint8Array(bytes), {
    config: config.pathname,
    weights: weights.pathname,
  });
  return model.eval();
}

export async function loadDigitModel(): Promise<SequenceModel> {
  return (await load(MNIST_CONFIG, MNIST_WEIGHTS)) as SequenceModel;
}

export interface CharModel {
  model: LanguageModel;
  /** Token strings by id. */
  tokens: string[];
}

export async function loadCharModel(): Promise<CharModel> {
  const [model, vocab] = await Promise.all([
    load(CHAR_CONFIG, CHAR_WEIGHTS),
    fetchOk(CHAR_VOCAB).then((r) => r.json() as Promise<{ tokens: string[] }>),
  ]);
  return { model: model as LanguageModel, tokens: vocab.tokens };
}
