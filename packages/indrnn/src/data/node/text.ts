/**
 * Node reader for language-model corpora: a PTB directory (word or char files), or one text file
 * split 90/5/5 by position.
 *
 * PTB fallback: when a directory has the valid and test files but not the training file (as the
 * shared data here), the first 90% of the valid file's lines train, its last 10% validate, and the
 * test file tests. `fallback` is true and `note` says so; report it with any result of such a run.
 */
import { basename, join } from 'node:path';
import { checkChoice } from '../../util/errors.js';
import {
  buildTextDataset,
  splitByLines,
  splitByPosition,
  textPart,
  type TextDataset,
  type TextKind,
  type Vocabulary,
} from '../text.js';
import { isDirectory, isFile, missingData, readFileBytes } from './files.js';

export type TextSource = 'auto' | 'ptb-word' | 'ptb-char' | 'file';

export interface LoadTextOptions {
  /**
   * What to look for in a directory: 'auto' tries PTB word files, then PTB char files, then
   * input.txt. A path that is a file is always read as a single text file.
   */
  source?: TextSource;
  /** With source 'auto': which PTB files win in a folder holding both (standard PTB folders do); default word. */
  prefer?: 'ptb-word' | 'ptb-char';
  /** How to tokenise a single text file (default 'chars'). */
  fileKind?: TextKind;
  vocabFrom?: 'train' | 'all';
  vocab?: Vocabulary;
}

const PTB_PREFIX = { 'ptb-word': 'ptb.', 'ptb-char': 'ptb.char.' } as const;
const SINGLE_FILE = 'input.txt';

function ptbNames(kind: 'ptb-word' | 'ptb-char'): [string, string, string] {
  const p = PTB_PREFIX[kind];
  return [`${p}train.txt`, `${p}valid.txt`, `${p}test.txt`];
}

function read(path: string): { text: string; name: string } {
  return textPart(readFileBytes(path), basename(path));
}

/** A single text file split 90/5/5 by character position. */
function loadSingleFile(path: string, opts: LoadTextOptions): TextDataset {
  const { text, name } = read(path);
  const [train, valid, test] = splitByPosition(text, [0.9, 0.05, 0.05]) as [string, string, string];
  const kind = opts.fileKind ?? 'chars';
  const ds = buildTextDataset(
    {
      train: { text: train, name: `${name} [0%, 90%)` },
      valid: { text: valid, name: `${name} [90%, 95%)` },
      test: { text: test, name: `${name} [95%, 100%]` },
    },
    { kind, vocabFrom: opts.vocabFrom, vocab: opts.vocab },
  );
  ds.note =
    `${kind} from ${name}: split 90/5/5 by position into train ${ds.train.length}, valid ` +
    `${ds.valid.length}, test ${ds.test.length} tokens; vocabulary ${ds.vocab.size}`;
  return ds;
}

/** PTB files, or the documented fallback without the training file; null when neither applies. */
function loadPtb(
  dir: string,
  kind: 'ptb-word' | 'ptb-char',
  opts: LoadTextOptions,
): TextDataset | null {
  const [trainName, validName, testName] = ptbNames(kind);
  const has = (n: string): boolean => isFile(join(dir, n));
  if (!has(validName) || !has(testName)) return null;
  const valid = read(join(dir, validName));
  const test = read(join(dir, testName));
  const common = { kind, vocabFrom: opts.vocabFrom, vocab: opts.vocab };
  if (has(trainName)) {
    const ds = buildTextDataset({ train: read(join(dir, trainName)), valid, test }, common);
    ds.note =
      `${kind} PTB from ${dir}: train ${ds.train.length}, valid ${ds.valid.length}, test ` +
      `${ds.test.length} tokens; vocabulary ${ds.vocab.size}`;
    return ds;
  }
  const [head, tail] = splitByLines(valid.text, 0.9);
  const ds = buildTextDataset(
    {
      train: { text: head, name: `${validName} [first 90% of lines]` },
      valid: { text: tail, name: `${validName} [last 10% of lines]` },
      test,
    },
    { ...common, fallback: true },
  );
  ds.note =
    `${kind} PTB FALLBACK (${trainName} absent in ${dir}): ` +
    `training on the first 90% of ${validName}'s lines (${ds.train.length} tokens), ` +
    `validating on its last 10% (${ds.valid.length}), ` +
    `testing on ${testName} (${ds.test.length}); vocabulary ${ds.vocab.size}. ` +
    `Not comparable with results trained on ${trainName}`;
  return ds;
}

/** Loads a text corpus from a file or a directory (see LoadTextOptions.source). */
export function loadTextDataset(path: string, opts: LoadTextOptions = {}): TextDataset {
  const source = checkChoice('loadTextDataset', 'source', opts.source ?? 'auto', [
    'auto',
    'ptb-word',
    'ptb-char',
    'file',
  ] as const);
  if (isFile(path)) return loadSingleFile(path, opts);
  const dir = path;
  const kinds =
    source === 'auto'
      ? opts.prefer === 'ptb-char' ? (['ptb-char', 'ptb-word'] as const) : (['ptb-word', 'ptb-char'] as const)
      : source === 'file' ? [] : [source];
  if (isDirectory(dir)) {
    for (const k of kinds) {
      const ds = loadPtb(dir, k, opts);
      if (ds) return ds;
    }
    if ((source === 'auto' || source === 'file') && isFile(join(dir, SINGLE_FILE))) {
      return loadSingleFile(join(dir, SINGLE_FILE), opts);
    }
  }
  const expected: string[] = [];
  for (const k of kinds) {
    const [tr, va, te] = ptbNames(k);
    expected.push(
      `${tr} (optional), ${va}, ${te} (${k === 'ptb-word' ? 'PTB word level' : 'PTB char level'})`,
    );
  }
  if (source === 'auto' || source === 'file')
    expected.push(`${SINGLE_FILE} (one text file, split 90/5/5)`);
  return missingData(`text corpus (${source})`, dir, expected);
}
