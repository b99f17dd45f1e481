/**
 * Text corpora for language models: tokenising, a vocabulary, and the AWD-LSTM style batching the
 * authors use (PyTorch `PTB/data.py`, `PTB/train_language.py`).
 *
 * Three kinds of corpus:
 * - 'ptb-word': Mikolov's PTB files; tokens are the whitespace-separated words of each line plus
 *   `<eos>` at the end of every line. `<unk>` is already in the files.
 * - 'ptb-char': PTB char files (characters separated by spaces, `_` for word boundaries);
 *   tokens are the whitespace-separated symbols plus `<eos>` per line, exactly the word tokeniser.
 * - 'chars': any UTF-8 text, one token per code point (newlines included), e.g. tinyshakespeare.
 *
 * Vocabulary: for 'ptb-word' it is built from the training split alone, in order of first
 * occurrence; words of valid/test that are not in it map to `<unk>` (an error when the vocabulary
 * has no `<unk>`). For the character kinds the symbol set is closed, so the vocabulary is built
 * from all three splits (as AWD-LSTM's Corpus does for every kind), and nothing is ever unknown.
 *
 * Batching: `batchify` cuts the token stream into B contiguous columns → [N, B]; `BpttIterator`
 * walks it in order in windows of T rows, giving input rows [i, i+T) and target rows [i+1, i+T+1),
 * so a stateful model can carry its hidden state from one window to the next.
 */
import type { Backend } from '../backend/backend.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { checkChoice, checkInt, checkNumber, fail } from '../util/errors.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import { decodeText } from './bytes.js';

export const EOS = '<eos>';
export const UNK = '<unk>';

export type TextKind = 'ptb-word' | 'ptb-char' | 'chars';
export const TEXT_KINDS: readonly TextKind[] = ['ptb-word', 'ptb-char', 'chars'];

/**
 * The JSON form of a Vocabulary, saved with a run so ids mean the same thing when it is reloaded.
 */
export interface VocabularyJSON {
  format: 'indrnn.vocabulary';
  version: 1;
  tokens: string[];
}

/** Token ↔ id map. Ids are dense, 0..size-1, in the order tokens were added. */
export class Vocabulary {
  private readonly ids = new Map<string, number>();
  private readonly list: string[] = [];

  constructor(tokens: Iterable<string> = []) {
    for (const t of tokens) this.add(t);
  }

  get size(): number {
    return this.list.length;
  }

  /** All tokens, index = id. */
  get tokens(): readonly string[] {
    return this.list;
  }

  /** Adds a token if new; returns its id either way. */
  add(token: string): number {
    let id = this.ids.get(token);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(token, id);
      this.list.push(token);
    }
    return id;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The id of a token, or undefined when it is not in the vocabulary. */
  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  token(id: number): string {
    const t = this.list[id];
    if (t === undefined) fail(`Vocabulary: id ${id} is outside 0..${this.size - 1}`);
    return t;
  }

  /** Id of `<unk>`, or undefined when the vocabulary has none. */
  get unkId(): number | undefined {
    return this.ids.get(UNK);
  }

  /** Ids of `tokens`; unknown tokens map to `<unk>`, or fail when there is none. */
  encode(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    const unk = this.unkId;
    tokens.forEach((t, i) => {
      const id = this.ids.get(t) ?? unk;
      if (id === undefined)
        fail(
          `Vocabulary.encode: token ${JSON.stringify(t)} (position ${i}) is not in the ` +
            `vocabulary, which has no ${UNK}`,
        );
      out[i] = id;
    });
    return out;
  }

  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.token(id));
  }

  toJSON(): VocabularyJSON {
    return { format: 'indrnn.vocabulary', version: 1, tokens: [...this.list] };
  }

  /** Rebuilds a vocabulary saved with toJSON (validated: every id must mean what it meant). */
  static fromJSON(json: unknown): Vocabulary {
    const j = json as Partial<VocabularyJSON> | null;
    if (typeof j !== 'object' || j === null || j.format !== 'indrnn.vocabulary') {
      fail(
        `Vocabulary.fromJSON: expected an object with format 'indrnn.vocabulary', got ` +
          `${describe(json)}`,
      );
    }
    if (j.version !== 1)
      fail(`Vocabulary.fromJSON: unsupported version ${String(j.version)}, expected 1`);
    if (!Array.isArray(j.tokens)) fail(`Vocabulary.fromJSON: 'tokens' must be an array of strings`);
    const v = new Vocabulary();
    j.tokens.forEach((t: unknown, i) => {
      if (typeof t !== 'string')
        fail(`Vocabulary.fromJSON: tokens[${i}] is ${describe(t)}, expected a string`);
      if (v.has(t))
        fail(
          `Vocabulary.fromJSON: token ${JSON.stringify(t)} appears twice (ids ${v.id(t)} and ${i})`,
        );
      v.add(t);
    });
    return v;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object without it' : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Lines of a text, as Python's `for line in file` yields them: a final newline does not start an
 * extra empty line. `\r\n` counts as one line end.
 */
export function textLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Tokens of one line for the PTB kinds: whitespace-separated symbols, then `<eos>`. */
function lineTokens(line: string): string[] {
  const words = line.split(/\s+/).filter((w) => w.length > 0);
  words.push(EOS);
  return words;
}

/** The token stream of a text for the given kind. */
export function tokenize(text: string, kind: TextKind): string[] {
  if (kind === 'chars') return Array.from(text);
  const out: string[] = [];
  for (const line of textLines(text)) for (const t of lineTokens(line)) out.push(t);
  return out;
}

/**
 * A piece of text and the name used for it in messages (a file name, or "input.txt [train 90%]").
 */
export interface TextPart {
  text: string;
  name: string;
}

/**
 * Encodes a text against a vocabulary. Unknown tokens become `<unk>`, or fail naming the file and
 * line of the first one when the vocabulary has no `<unk>`.
 */
export function encodeText(part: TextPart, kind: TextKind, vocab: Vocabulary): Int32Array {
  const unk = vocab.unkId;
  const missing = (token: string, line: number): never =>
    fail(
      `${part.name}: line ${line}: token ${JSON.stringify(token)} is not in the vocabulary ` +
        `built from the training text, and the vocabulary has no ${UNK} to map it to`,
    );
  if (kind === 'chars') {
    const chars = Array.from(part.text);
    const out = new Int32Array(chars.length);
    let line = 1;
    chars.forEach((c, i) => {
      const id = vocab.id(c) ?? unk;
      if (id === undefined) missing(c, line);
      out[i] = id!;
      if (c === '\n') line++;
    });
    return out;
  }
  const ids: number[] = [];
  textLines(part.text).forEach((l, i) => {
    for (const t of lineTokens(l)) {
      const id = vocab.id(t) ?? unk;
      if (id === undefined) missing(t, i + 1);
      ids.push(id!);
    }
  });
  return Int32Array.from(ids);
}

export interface TextDataset {
  kind: TextKind;
  vocab: Vocabulary;
  /** Token ids of each split, in text order. */
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
  /** Names of the text each split came from (file names, with the part taken). */
  sources: { train: string; valid: string; test: string };
  /** True when the splits are not the standard ones (e.g. PTB without its training file). */
  fallback: boolean;
  /** One line for logs and reports saying where each split came from. */
  note: string;
}

export interface TextDatasetOptions {
  kind: TextKind;
  /** Which text builds the vocabulary (default 'train' for ptb-word, 'all' for the char kinds). */
  vocabFrom?: 'train' | 'all';
  /** A saved vocabulary to reuse instead of building one (e.g. when resuming a run). */
  vocab?: Vocabulary;
  fallback?: boolean;
  note?: string;
}

/** Tokenises and encodes three splits (make each part from file bytes with `textPart`). */
export function buildTextDataset(
  parts: { train: TextPart; valid: TextPart; test: TextPart },
  opts: TextDatasetOptions,
): TextDataset {
  const kind = checkChoice('buildTextDataset', 'kind', opts.kind, TEXT_KINDS);
  const vocabFrom = checkChoice(
    'buildTextDataset',
    'vocabFrom',
    opts.vocabFrom ?? (kind === 'ptb-word' ? 'train' : 'all'),
    ['train', 'all'] as const,
  );
  let vocab = opts.vocab;
  if (!vocab) {
    vocab = new Vocabulary();
    const from = vocabFrom === 'train' ? [parts.train] : [parts.train, parts.valid, parts.test];
    for (const p of from) for (const t of tokenize(p.text, kind)) vocab.add(t);
  }
  const train = encodeText(parts.train, kind, vocab);
  if (train.length < 2)
    fail(`${parts.train.name}: the training text has ${train.length} tokens; need at least 2`);
  const fallback = opts.fallback ?? false;
  const note =
    opts.note ??
    `${kind}: train ${train.length} tokens (${parts.train.name}), vocabulary ${vocab.size} built ` +
      `from ${vocabFrom === 'train' ? 'train' : 'all splits'}`;
  return {
    kind,
    vocab,
    train,
    valid: encodeText(parts.valid, kind, vocab),
    test: encodeText(parts.test, kind, vocab),
    sources: { train: parts.train.name, valid: parts.valid.name, test: parts.test.name },
    fallback,
    note,
  };
}

/** Decodes file bytes into a TextPart (strict UTF-8; errors name the file and byte offset). */
export function textPart(bytes: Uint8Array | string, name: string): TextPart {
  return { text: decodeText(bytes, name), name };
}

/**
 * Cuts a text into consecutive pieces by character position (e.g. 90/5/5 train/valid/test for a
 * single-file corpus). Cuts never split a surrogate pair.
 */
export function splitByPosition(text: string, fractions: readonly number[]): string[] {
  let total = 0;
  for (const f of fractions) total += checkNumber('splitByPosition', 'fraction', f, 0, 1);
  if (Math.abs(total - 1) > 1e-9) fail(`splitByPosition: fractions must sum to 1, got ${total}`);
  const cuts = [0];
  let acc = 0;
  for (const f of fractions.slice(0, -1)) {
    acc += f;
    let cut = Math.round(text.length * acc);
    const code = text.charCodeAt(cut);
    if (code >= 0xdc00 && code <= 0xdfff) cut++; // don't separate a low surrogate from its high one
    cuts.push(cut);
  }
  cuts.push(text.length);
  return fractions.map((_, i) => text.slice(cuts[i], cuts[i + 1]));
}

/** Splits a text into its first `fraction` of lines and the rest (both keep their newlines). */
export function splitByLines(text: string, fraction: number): [string, string] {
  checkNumber('splitByLines', 'fraction', fraction, 0, 1);
  const lines = textLines(text);
  const cut = Math.round(lines.length * fraction);
  const join = (ls: string[]): string => (ls.length ? ls.join('\n') + '\n' : '');
  return [join(lines.slice(0, cut)), join(lines.slice(cut))];
}

/** A token stream cut into columns: data [steps, B], column b = tokens [b·steps, (b+1)·steps). */
export interface BatchedStream {
  data: Int32Array;
  steps: number;
  batchSize: number;
}

/**
 * AWD-LSTM `batchify`: drop the tail that does not fill a whole row, then lay the stream out in B
 * contiguous columns, so row i holds the i-th token of each column.
 */
export function batchify(ids: Int32Array, batchSize: number): BatchedStream {
  const B = checkInt('batchify', 'batchSize', batchSize, 1);
  const steps = Math.floor(ids.length / B);
  if (steps < 2)
    fail(
      `batchify: ${ids.length} tokens give ${steps} rows at batch size ${B}; need at least 2 ` +
        `(smaller batch?)`,
    );
  const data = new Int32Array(steps * B);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < steps; i++) data[i * B + b] = ids[b * steps + i]!;
  }
  return { data, steps, batchSize: B };
}

export interface BpttOptions {
  /** Window length T. */
  seqLen: number;
  /**
   * The authors' variable length: bptt = seqLen w.p. 0.95 else seqLen/2; length =
   * max(5, round(N(bptt, 5))), capped at seqLen + 10. Off by default (fixed windows, as for eval).
   */
  variableLength?: boolean;
  /**
   * Each epoch starts at a random row in [0, randomStart) (0 = always row 0). The Theano code's
   * `--data_aug` uses 5·seqLen, "to provide stable statistics for BN".
   */
  randomStart?: number;
  generator?: Generator;
  backend?: Backend;
}

export interface BpttWindow {
  /** int32 [T, B]: rows [start, start+T) of the stream. */
  input: Tensor;
  /** int32 [T, B]: rows [start+1, start+T+1), the next token of each input token. */
  target: Tensor;
  start: number;
  length: number;
}

/**
 * Truncated-BPTT windows over a batchified stream, in order. `next()` returns the next window of
 * the current epoch, or null at its end; the next call begins a new epoch (drawing a new start
 * offset). Iterating with for-of runs one epoch.
 */
export class BpttIterator implements Iterable<BpttWindow> {
  readonly seqLen: number;
  readonly variableLength: boolean;
  readonly randomStart: number;
  private readonly gen: Generator;
  private position = -1;
  private epochs = 0;

  constructor(
    readonly stream: BatchedStream,
    private readonly opts: BpttOptions,
  ) {
    this.seqLen = checkInt('BpttIterator', 'seqLen', opts.seqLen, 1);
    this.variableLength = opts.variableLength ?? false;
    this.randomStart = checkInt('BpttIterator', 'randomStart', opts.randomStart ?? 0, 0);
    this.gen = opts.generator ?? defaultGenerator();
  }

  /** Epochs begun so far. */
  get epoch(): number {
    return this.epochs;
  }

  /**
   * Windows the current epoch would give with fixed-length windows from row 0 (for progress bars).
   */
  get windowsPerEpoch(): number {
    return Math.ceil((this.stream.steps - 1) / this.seqLen);
  }

  private startEpoch(): void {
    this.epochs++;
    const maxStart = Math.min(this.randomStart, this.stream.steps - 1);
    this.position = maxStart > 0 ? this.gen.int(maxStart) : 0;
  }

  /** Length of the next window, before clipping to the end of the stream. */
  private windowLength(): number {
    if (!this.variableLength) return this.seqLen;
    const bptt = this.gen.random() < 0.95 ? this.seqLen : this.seqLen / 2;
    const len = Math.max(5, Math.round(this.gen.normal(bptt, 5)));
    return Math.min(len, this.seqLen + 10);
  }

  next(): BpttWindow | null {
    if (this.position < 0) this.startEpoch();
    const { data, steps, batchSize: B } = this.stream;
    const i = this.position;
    if (i >= steps - 1) {
      this.position = -1;
      return null;
    }
    const T = Math.min(this.windowLength(), steps - 1 - i);
    this.position = i + T;
    return {
      input: tensor(data.slice(i * B, (i + T) * B), [T, B], 'int32', this.opts.backend),
      target: tensor(data.slice((i + 1) * B, (i + 1 + T) * B), [T, B], 'int32', this.opts.backend),
      start: i,
      length: T,
    };
  }

  *[Symbol.iterator](): Iterator<BpttWindow> {
    for (let w = this.next(); w !== null; w = this.next()) yield w;
  }
}
