/** Text corpora: tokenising, the vocabulary, batchify and truncated-BPTT windows, and the loaders. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Generator, data } from '../src/index.js';
import { loadTextDataset } from '../src/node.js';
import {
  SHARED_DATA,
  assertIndrnnError,
  skipUnless,
  withTempDir,
  writeFiles,
} from './data.helpers.js';

const part = (text: string, name = 'part.txt'): data.TextPart => ({ text, name });

describe('tokenising', () => {
  it('PTB word: whitespace-split words plus <eos> per line; a final newline adds no line', () => {
    assert.deepEqual(data.tokenize(' no it was\r\n\n <unk> N \n', 'ptb-word'), [
      'no',
      'it',
      'was',
      '<eos>',
      '<eos>',
      '<unk>',
      'N',
      '<eos>',
    ]);
    assert.deepEqual(data.tokenize('a b', 'ptb-word'), ['a', 'b', '<eos>']);
  });

  it('PTB char: the space-separated symbols (with _ for word boundaries) plus <eos> per line', () => {
    assert.deepEqual(data.tokenize(' n o _ i t \n a \n', 'ptb-char'), [
      'n',
      'o',
      '_',
      'i',
      't',
      '<eos>',
      'a',
      '<eos>',
    ]);
  });

  it('chars: one token per code point, newlines included', () => {
    assert.deepEqual(data.tokenize('Hé\n😀!', 'chars'), ['H', 'é', '\n', '😀', '!']);
  });
});

describe('Vocabulary', () => {
  it('ids in order of first occurrence; encode, decode; unknown tokens map to <unk>', () => {
    const v = new data.Vocabulary(['the', 'cat', 'the', '<unk>', 'sat']);
    assert.equal(v.size, 4);
    assert.deepEqual(v.tokens, ['the', 'cat', '<unk>', 'sat']);
    assert.deepEqual(Array.from(v.encode(['sat', 'the', 'dog'])), [3, 0, 2]);
    assert.deepEqual(v.decode([1, 3]), ['cat', 'sat']);
    assertIndrnnError(() => v.token(4), 'Vocabulary: id 4 is outside 0..3');
    assertIndrnnError(
      () => new data.Vocabulary(['a']).encode(['a', 'b']),
      'token "b" (position 1) is not in the vocabulary, which has no <unk>',
    );
  });

  it('round-trips through JSON text; malformed JSON values fail with the reason', () => {
    const v = new data.Vocabulary(['a', '<eos>', 'é', '😀']);
    const back = data.Vocabulary.fromJSON(JSON.parse(JSON.stringify(v)));
    assert.deepEqual(back.tokens, v.tokens);
    assert.equal(back.id('😀'), 3);
    assertIndrnnError(
      () => data.Vocabulary.fromJSON({ tokens: [] }),
      "expected an object with format 'indrnn.vocabulary'",
    );
    assertIndrnnError(
      () => data.Vocabulary.fromJSON({ format: 'indrnn.vocabulary', version: 2, tokens: [] }),
      'unsupported version 2',
    );
    assertIndrnnError(
      () => data.Vocabulary.fromJSON({ format: 'indrnn.vocabulary', version: 1, tokens: ['a', 3] }),
      'tokens[1] is number 3',
    );
    assertIndrnnError(
      () =>
        data.Vocabulary.fromJSON({
          format: 'indrnn.vocabulary',
          version: 1,
          tokens: ['a', 'b', 'a'],
        }),
      'token "a" appears twice (ids 0 and 2)',
    );
  });
});

describe('text data sets', () => {
  it('word level: vocabulary from train only; unknown valid/test words become <unk>', () => {
    const ds = data.buildTextDataset(
      { train: part('a b <unk>\nb c\n'), valid: part('a z\n'), test: part('q\n') },
      { kind: 'ptb-word' },
    );
    assert.deepEqual(ds.vocab.tokens, ['a', 'b', '<unk>', '<eos>', 'c']);
    assert.deepEqual(Array.from(ds.train), [0, 1, 2, 3, 1, 4, 3]);
    assert.deepEqual(Array.from(ds.valid), [0, 2, 3]);
    assert.deepEqual(Array.from(ds.test), [2, 3]);
  });

  it('word level without <unk>: an unknown word is an error naming the file, line and word', () => {
    assertIndrnnError(
      () =>
        data.buildTextDataset(
          { train: part('a b\n'), valid: part('a\nb zz\n', 'ptb.valid.txt'), test: part('a\n') },
          { kind: 'ptb-word' },
        ),
      'ptb.valid.txt: line 2: token "zz" is not in the vocabulary built from the training text, and the vocabulary has no <unk>',
    );
  });

  it('char kinds build the vocabulary from all splits, so test-only characters are known', () => {
    const ds = data.buildTextDataset(
      { train: part('ab'), valid: part('b'), test: part('c\n') },
      { kind: 'chars' },
    );
    assert.deepEqual(ds.vocab.tokens, ['a', 'b', 'c', '\n']);
    assert.deepEqual(Array.from(ds.test), [2, 3]);
    const saved = data.Vocabulary.fromJSON(ds.vocab.toJSON());
    const again = data.buildTextDataset(
      { train: part('ba'), valid: part('a'), test: part('a') },
      { kind: 'chars', vocab: saved },
    );
    assert.deepEqual(Array.from(again.train), [1, 0], 'a saved vocabulary keeps its ids');
  });

  it('text bytes must be UTF-8 text: bad bytes and NULs name the offset and line, gzip says to decompress', () => {
    assert.equal(data.textPart(new TextEncoder().encode('hé'), 'f').text, 'hé');
    assertIndrnnError(
      () => data.textPart(Uint8Array.of(0x61, 0x0a, 0x62, 0xc3, 0x28), 'f.txt'),
      'f.txt: invalid UTF-8 at byte offset 3 (line 2, byte 0xc3)',
    );
    assertIndrnnError(
      () => data.textPart(Uint8Array.of(0x61, 0, 0x62), 'f.txt'),
      'f.txt: NUL byte at offset 1 (line 1)',
      'binary',
    );
    assertIndrnnError(
      () => data.textPart(gzipSync('abc'), 'f.txt.gz'),
      'f.txt.gz: data is gzip-compressed',
    );
    assertIndrnnError(
      () =>
        data.buildTextDataset(
          { train: part('', 'empty.txt'), valid: part(''), test: part('') },
          { kind: 'chars' },
        ),
      'empty.txt: the training text has 0 tokens',
    );
  });

  it('splits by position (90/5/5) and by lines, never splitting a surrogate pair', () => {
    const text = 'x'.repeat(200);
    assert.deepEqual(
      data.splitByPosition(text, [0.9, 0.05, 0.05]).map((s) => s.length),
      [180, 10, 10],
    );
    const emoji = 'a😀'; // 3 UTF-16 units: a cut at 50% (index 2) would fall inside the pair
    assert.deepEqual(data.splitByPosition(emoji, [0.5, 0.5]), ['a😀', '']);
    assert.deepEqual(data.splitByLines('1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n', 0.9), [
      '1\n2\n3\n4\n5\n6\n7\n8\n9\n',
      '10\n',
    ]);
    assertIndrnnError(
      () => data.splitByPosition('abc', [0.5, 0.4]),
      'fractions must sum to 1, got 0.9',
    );
  });
});

describe('batchify and BPTT windows', () => {
  const ids = Int32Array.from({ length: 23 }, (_, i) => i);

  it('batchify cuts the stream into B contiguous columns [N, B] and drops the tail', () => {
    const s = data.batchify(ids, 4);
    assert.deepEqual([s.steps, s.batchSize], [5, 4]);
    // column b holds tokens b·5 .. b·5+4; row i holds the i-th token of each column
    assert.deepEqual(Array.from(s.data.subarray(0, 4)), [0, 5, 10, 15]);
    assert.deepEqual(Array.from(s.data.subarray(16, 20)), [4, 9, 14, 19]);
    assertIndrnnError(
      () => data.batchify(ids, 20),
      'batchify: 23 tokens give 1 rows at batch size 20; need at least 2',
    );
  });

  it('fixed windows come in order: input rows [i, i+T), targets one row later; the last is shorter', () => {
    const s = data.batchify(
      Int32Array.from({ length: 30 }, (_, i) => i),
      3,
    ); // 10 rows
    const it = new data.BpttIterator(s, { seqLen: 4 });
    const windows = [...it];
    assert.deepEqual(
      windows.map((w) => [w.start, w.length]),
      [
        [0, 4],
        [4, 4],
        [8, 1],
      ],
    );
    assert.deepEqual(windows[0]!.input.shape, [4, 3]);
    assert.equal(windows[0]!.input.dtype, 'int32');
    assert.deepEqual(
      Array.from(windows[1]!.input.data()),
      [4, 14, 24, 5, 15, 25, 6, 16, 26, 7, 17, 27],
    );
    assert.deepEqual(
      Array.from(windows[1]!.target.data()),
      [5, 15, 25, 6, 16, 26, 7, 17, 27, 8, 18, 28],
    );
    assert.deepEqual(Array.from(windows[2]!.target.data()), [9, 19, 29]);
    assert.equal(it.epoch, 1);
    assert.equal(it.next()!.start, 0, 'next() after the end of an epoch starts the next one');
    assert.equal(it.epoch, 2);
  });

  it('variable length: T or T/2 around N(bptt, 5), at least 5, at most T+10; contiguous; seeded', () => {
    const s = data.batchify(
      Int32Array.from({ length: 200_000 }, (_, i) => i % 97),
      2,
    );
    const run = (seed: number): number[] =>
      [
        ...new data.BpttIterator(s, {
          seqLen: 50,
          variableLength: true,
          generator: new Generator(seed),
        }),
      ].map((w) => w.length);
    const lengths = run(3);
    assert.deepEqual(run(3), lengths);
    assert.notDeepEqual(run(4), lengths);
    const body = lengths.slice(0, -1);
    assert.ok(
      body.every((l) => l >= 5 && l <= 60),
      `lengths outside [5, 60]: ${body.filter((l) => l < 5 || l > 60)}`,
    );
    assert.equal(
      lengths.reduce((a, b) => a + b, 0),
      s.steps - 1,
      'windows tile the stream',
    );
    const short = body.filter((l) => l < 37).length / body.length; // T/2 = 25 ± 5·2.4σ vs T = 50
    assert.ok(
      short > 0.03 && short < 0.07,
      `share of half-length windows ${short}, expected ≈ 0.05`,
    );
    const mean =
      body.filter((l) => l >= 37).reduce((a, b) => a + b, 0) / body.filter((l) => l >= 37).length;
    assert.ok(Math.abs(mean - 50) < 0.5, `mean full window ${mean}`);
  });

  it('a random start offset per epoch, in [0, randomStart)', () => {
    const s = data.batchify(
      Int32Array.from({ length: 2000 }, (_, i) => i),
      2,
    );
    const it = new data.BpttIterator(s, {
      seqLen: 10,
      randomStart: 50,
      generator: new Generator(1),
    });
    const starts = new Set<number>();
    for (let e = 0; e < 30; e++) {
      const ws = [...it];
      starts.add(ws[0]!.start);
      assert.equal(ws[ws.length - 1]!.start + ws[ws.length - 1]!.length, s.steps - 1);
    }
    assert.ok([...starts].every((x) => x >= 0 && x < 50));
    assert.ok(starts.size > 10, `only ${starts.size} distinct starts`);
  });
});

describe('text loader (Node)', () => {
  it('PTB word directory with train/valid/test files', () => {
    withTempDir((dir) => {
      writeFiles(dir, {
        'ptb.train.txt': ' a b <unk> \n b a \n',
        'ptb.valid.txt': ' a c \n',
        'ptb.test.txt': ' b \n',
      });
      const ds = loadTextDataset(dir);
      assert.equal(ds.kind, 'ptb-word');
      assert.equal(ds.fallback, false);
      assert.deepEqual(ds.vocab.decode(ds.valid), ['a', '<unk>', '<eos>']);
      assert.deepEqual(ds.sources, {
        train: 'ptb.train.txt',
        valid: 'ptb.valid.txt',
        test: 'ptb.test.txt',
      });
    });
  });

  it('without the training file: train on the first 90% of valid lines, validate on the rest, and say so', () => {
    withTempDir((dir) => {
      const valid = Array.from({ length: 20 }, (_, i) => ` w${i} <unk> \n`).join('');
      writeFiles(dir, { 'ptb.char.valid.txt': valid, 'ptb.char.test.txt': ' w1 \n' });
      const ds = loadTextDataset(dir, { source: 'auto' });
      assert.equal(ds.kind, 'ptb-char');
      assert.equal(ds.fallback, true);
      assert.equal(ds.train.length, 18 * 3);
      assert.deepEqual(ds.vocab.decode(ds.valid.subarray(0, 3)), ['w18', '<unk>', '<eos>']);
      assert.match(ds.note, /FALLBACK \(ptb\.char\.train\.txt absent/);
      assert.match(ds.note, /first 90% of ptb\.char\.valid\.txt's lines/);
    });
  });

  it('a single text file is split 90/5/5 by position', () => {
    withTempDir((dir) => {
      writeFiles(dir, { 'input.txt': 'abcdefghij'.repeat(10) });
      for (const ds of [loadTextDataset(dir), loadTextDataset(join(dir, 'input.txt'))]) {
        assert.equal(ds.kind, 'chars');
        assert.deepEqual([ds.train.length, ds.valid.length, ds.test.length], [90, 5, 5]);
        assert.deepEqual(ds.vocab.decode(ds.valid), ['a', 'b', 'c', 'd', 'e']);
        assert.equal(ds.sources.test, 'input.txt [95%, 100%]');
      }
    });
  });

  it('nothing found: names the directory, every file looked for, and --data-dir', () => {
    withTempDir((dir) => {
      writeFiles(dir, { 'ptb.valid.txt': 'a\n' });
      assertIndrnnError(
        () => loadTextDataset(dir),
        `text corpus (auto) not found: searched ${dir} for ptb.train.txt (optional), ptb.valid.txt, ptb.test.txt (PTB word level)`,
        'ptb.char.valid.txt',
        'input.txt (one text file, split 90/5/5)',
        '--data-dir DIR',
      );
      assertIndrnnError(
        () => loadTextDataset(dir, { source: 'ptb-char' }),
        'text corpus (ptb-char) not found',
        'ptb.char.test.txt',
      );
      assertIndrnnError(
        () => loadTextDataset(dir, { source: 'words' as 'file' }),
        "source must be one of 'auto', 'ptb-word', 'ptb-char', 'file'",
      );
    });
  });
});

describe('real corpora (../shared/data)', () => {
  const ptb = join(SHARED_DATA, 'ptb');
  it(
    'PTB word valid+test: fallback split of 73,760 valid tokens, 82,430 test tokens',
    { skip: skipUnless(join(ptb, 'ptb.valid.txt'), join(ptb, 'ptb.test.txt')) },
    () => {
      const ds = loadTextDataset(ptb, { source: 'ptb-word' });
      assert.equal(ds.fallback, true);
      assert.equal(ds.train.length + ds.valid.length, 73_760);
      assert.equal(ds.test.length, 82_430);
      assert.deepEqual(ds.vocab.decode(ds.test.subarray(0, 7)), [
        'no',
        'it',
        'was',
        "n't",
        'black',
        'monday',
        '<eos>',
      ]);
      assert.ok(ds.vocab.has('<unk>') && ds.vocab.size < 10_000);
    },
  );

  it(
    'PTB char: 50 symbols including <eos>; the first test line spelled out',
    { skip: skipUnless(join(ptb, 'ptb.char.valid.txt')) },
    () => {
      const ds = loadTextDataset(ptb, { source: 'ptb-char' });
      assert.equal(ds.vocab.size, 50);
      assert.equal(
        ds.vocab.decode(ds.test.subarray(0, 27)).join(''),
        "no_it_was_n't_black_monday<eos>",
      );
    },
  );

  const shakespeare = join(SHARED_DATA, 'tinyshakespeare', 'input.txt');
  it(
    'tinyshakespeare: 1,115,394 characters, 65 symbols, starts "First Citizen:"',
    { skip: skipUnless(shakespeare) },
    () => {
      const ds = loadTextDataset(shakespeare);
      assert.equal(ds.train.length + ds.valid.length + ds.test.length, 1_115_394);
      assert.equal(ds.vocab.size, 65);
      assert.equal(ds.vocab.decode(ds.train.subarray(0, 14)).join(''), 'First Citizen:');
      const windows = new data.BpttIterator(data.batchify(ds.train, 128), { seqLen: 50 });
      assert.equal(
        windows.windowsPerEpoch,
        Math.ceil((Math.floor(ds.train.length / 128) - 1) / 50),
      );
    },
  );
});
