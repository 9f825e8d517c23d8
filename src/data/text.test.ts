// Text corpora: tokenizer round trips (char and GPT-2 BPE), contiguous splits,
// LM batch sampling, and bad input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from './errors.js';
import { CharTokenizer, Gpt2Tokenizer, LmBatchSampler, loadCorpus, loadTextDataset, splitTokens } from './text.js';
import { sharedDataDir, tempDir } from './test-util.js';

const SAMPLE = 'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak. — naïve café 🙂 日本\n';

describe('tokenizers', () => {
  test('char: sorted code points, exact round trip, unknown characters rejected', () => {
    const tk = CharTokenizer.fromText(SAMPLE);
    const chars = [...new Set(SAMPLE)];
    assert.equal(tk.vocabSize, chars.length);
    assert.deepEqual(tk.chars, [...chars].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
    assert.equal(tk.chars[0], '\n');
    assert.equal(tk.chars[tk.vocabSize - 1], '🙂'); // astral characters are one token
    const ids = tk.encode(SAMPLE);
    assert.equal(ids.length, [...SAMPLE].length);
    assert.equal(tk.decode(ids), SAMPLE);
    assert.throws(() => tk.encode('SpeakZ'), /character "Z" \(U\+005A\) at position 5 is not in the vocabulary/);
    assert.throws(() => tk.decode([tk.vocabSize]), /outside/);
    const again = new CharTokenizer(JSON.parse(JSON.stringify(tk)).chars);
    assert.deepEqual(Array.from(again.encode(SAMPLE)), Array.from(ids));
  });

  test('GPT-2 BPE: known ids, round trip incl. Unicode, <|endoftext|> handling', () => {
    const tk = new Gpt2Tokenizer();
    assert.equal(tk.vocabSize, 50257);
    assert.deepEqual(Array.from(tk.encode('Hello world')), [15496, 995]);
    const ids = tk.encode(SAMPLE);
    assert.equal(tk.decode(ids), SAMPLE);
    assert.ok(ids.every((i) => i >= 0 && i < 50257));
    const doc = 'Once upon a time.<|endoftext|>The end.';
    const withEot = tk.encode(doc);
    assert.ok(withEot.includes(50256));
    assert.equal(tk.decode(withEot), doc);
    const ordinary = new Gpt2Tokenizer({ allowEndOfText: false }).encode(doc);
    assert.ok(!ordinary.includes(50256));
    assert.equal(tk.decode(ordinary), doc);
    assert.throws(() => tk.decode([50257]), /outside/);
  });
});

describe('corpora and splits', () => {
  test('empty, missing and non-UTF-8 files are DataErrors naming the file', () => {
    const t = tempDir();
    try {
      const empty = join(t.dir, 'empty.txt');
      writeFileSync(empty, '');
      assert.throws(() => loadCorpus(empty), (e: unknown) => e instanceof DataError && e.file === empty && /the text file is empty/.test(e.message));
      assert.throws(() => loadTextDataset(empty), /empty/);
      const latin1 = join(t.dir, 'latin1.txt');
      writeFileSync(latin1, Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
      assert.throws(() => loadCorpus(latin1), /not valid UTF-8.*iconv/);
      assert.throws(() => loadCorpus(join(t.dir, 'missing.txt')), (e: unknown) => e instanceof DataError && /not found/.test(e.message));
    } finally {
      t.cleanup();
    }
  });

  test('contiguous train/val/test split', () => {
    const tokens = Int32Array.from({ length: 100 }, (_, i) => i);
    const s = splitTokens(tokens, { valFraction: 0.1, testFraction: 0.05 });
    assert.deepEqual([s.train.length, s.val.length, s.test.length], [85, 10, 5]);
    assert.deepEqual([s.train[84], s.val[0], s.val[9], s.test[0]], [84, 85, 94, 95]);
    assert.equal(splitTokens(tokens).val.length, 10);
    assert.throws(() => splitTokens(tokens, { valFraction: 0.6, testFraction: 0.4 }), RangeError);
  });

  test('loadTextDataset with char and gpt2 tokenizers', () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'c.txt');
      writeFileSync(f, SAMPLE.repeat(20));
      const c = loadTextDataset(f, { tokenizer: 'char' });
      assert.equal(c.tokenizer.decode(c.tokens), SAMPLE.repeat(20));
      assert.equal(c.train.length + c.val.length + c.test.length, c.tokens.length);
      const g = loadTextDataset(f, { tokenizer: 'gpt2', valFraction: 0.2 });
      assert.equal(g.tokenizer.decode(g.tokens), SAMPLE.repeat(20));
      assert.equal(g.val.length, g.tokens.length - Math.floor(g.tokens.length * 0.8 + 1e-9));
    } finally {
      t.cleanup();
    }
  });
});

describe('LmBatchSampler', () => {
  const tokens = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 65);

  test('x and y are int64 [B, T] windows with y = x shifted by one', () => {
    const s = new LmBatchSampler(tokens, { blockSize: 16, batchSize: 5, seed: 1 });
    const b = s.next();
    assert.deepEqual(b.x.shape, [5, 16]);
    assert.equal(b.x.dtype, 'int64');
    assert.equal(b.y.dtype, 'int64');
    const x = b.x.toArray();
    const y = b.y.toArray();
    for (let r = 0; r < 5; r++) {
      const row = x.slice(r * 16, (r + 1) * 16);
      // Locate the window in the stream (values are unique per position modulo 65; check full equality).
      const start = [...Array(1000 - 16).keys()].find((i) => row.every((v, j) => v === tokens[i + j]));
      assert.ok(start !== undefined, `row ${r} is a window of the stream`);
      assert.deepEqual(y.slice(r * 16, (r + 1) * 16), Array.from(tokens.subarray(start + 1, start + 17)));
    }
    b.x.dispose();
    b.y.dispose();
  });

  test('offsets cover [0, n - T) uniformly enough, are deterministic, and resume exactly', () => {
    const s = new LmBatchSampler(tokens.subarray(0, 20), { blockSize: 16, batchSize: 1000, seed: 2 });
    const seen = new Set(s.nextOffsets());
    assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3]);
    const a = new LmBatchSampler(tokens, { blockSize: 8, batchSize: 4, seed: 3 });
    const b = new LmBatchSampler(tokens, { blockSize: 8, batchSize: 4, seed: 3 });
    a.nextOffsets();
    b.nextOffsets();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const next = [a.nextOffsets(), a.nextOffsets()].map((o) => Array.from(o));
    assert.deepEqual([b.nextOffsets(), b.nextOffsets()].map((o) => Array.from(o)), next);
    const c = new LmBatchSampler(tokens, { blockSize: 8, batchSize: 4, seed: 3 });
    c.restore(saved);
    assert.deepEqual([c.nextOffsets(), c.nextOffsets()].map((o) => Array.from(o)), next);
    const other = new LmBatchSampler(tokens, { blockSize: 8, batchSize: 4, seed: 3, stream: 1 });
    assert.notDeepEqual(Array.from(other.nextOffsets()), next[0]);
    assert.throws(() => other.restore(saved), /different sampler \(stream 0 vs 1\)/);
  });

  test('a corpus part shorter than blockSize + 1 is a clear error', () => {
    assert.throws(() => new LmBatchSampler(tokens.subarray(0, 16), { blockSize: 16, batchSize: 1, name: 'val split' }), (e: unknown) => e instanceof DataError && /val split: the token stream has 16 tokens, but blockSize 16 needs at least 17/.test(e.message));
  });
});

const shakespeare = join(sharedDataDir(), 'tinyshakespeare', 'input.txt');
test('Tiny Shakespeare: 1,115,394 characters, 65 distinct, char round trip', { skip: existsSync(shakespeare) ? false : `${shakespeare} not present` }, () => {
  const ds = loadTextDataset(shakespeare, { tokenizer: 'char' });
  assert.equal(ds.tokens.length, 1_115_394);
  assert.equal(ds.tokenizer.vocabSize, 65);
  assert.equal(ds.train.length, 1_003_854); // nanoGPT shakespeare_char: int(n * 0.9)
  assert.equal(ds.tokenizer.decode(ds.tokens.subarray(0, 14)), 'First Citizen:');
});

const stories = join(sharedDataDir(), 'tinystories', 'tinystories_sample_cs336.txt');
test('TinyStories sample: GPT-2 round trip, <|endoftext|> separators become token 50256', { skip: existsSync(stories) ? false : `${stories} not present` }, () => {
  const ds = loadTextDataset(stories, { tokenizer: 'gpt2', valFraction: 0.5 });
  const text = loadCorpus(stories);
  assert.equal(ds.tokenizer.decode(ds.tokens), text);
  assert.equal(ds.tokens.filter((t) => t === 50256).length, text.split('<|endoftext|>').length - 1);
  assert.equal(ds.train.length + ds.val.length, ds.tokens.length);
});
