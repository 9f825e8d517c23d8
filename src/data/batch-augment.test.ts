// Batch augmentations against hand-computed cases: Mixup/CutMix with a fixed
// lambda and box, each RandAugment op on tiny images (values worked out with
// PIL's rules and checked against Pillow), RandomErasing's rectangle, and the
// seeding/RNG-state contract of all three.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyRandAugmentOp, cutmixBox, mixWith, mixupCutmix, randAugment, randomErasing, RAND_AUGMENT_OPS,
} from './batch-augment.js';
import { getRngState, manualSeed, rand, setRngState, tensor, tidy, type Tensor } from '../tensor/index.js';

/** A [B, C, H, W] batch of 0..255 values scaled to [0, 1]. */
const img255 = (values: number[], shape: number[]): Tensor => tensor(values.map((v) => v / 255), { shape });
const back255 = (t: Tensor): number[] => t.mul(255).round().toArray();
const op = (name: string, values: number[], shape: number[], m: number, sign = 1, fill?: number | number[]): number[] =>
  tidy(() => back255(applyRandAugmentOp(name, img255(values, shape), m, sign, fill)));
const close = (a: number[], b: number[], tol = 1e-6) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `index ${i}: ${v} vs ${b[i]}`));
};
/** Distinct values per position and sample. */
const batch = (B: number, C: number, H: number, W: number): Tensor =>
  tensor(Array.from({ length: B * C * H * W }, (_, i) => ((i * 37) % 251) / 251), { shape: [B, C, H, W] });

describe('mixup / cutmix', () => {
  test('mixWith with a fixed lambda: lam*x + (1-lam)*flip(x), smoothed mixed targets', () => tidy(() => {
    const x = batch(4, 2, 3, 3);
    const y = tensor([0, 1, 2, 3], { dtype: 'int64' });
    const out = mixWith(x, y, 0.3, null, { numClasses: 4, labelSmoothing: 0.1 });
    const xs = x.toArray();
    const n = 2 * 3 * 3;
    close(out.x.toArray(), xs.map((v, i) => 0.3 * v + 0.7 * xs[(3 - Math.floor(i / n)) * n + (i % n)]));
    // off = 0.1/4 = 0.025, on = 0.925; sample i is mixed with sample 3-i.
    close(out.y.toArray(), [
      0.295, 0.025, 0.025, 0.655,
      0.025, 0.295, 0.655, 0.025,
      0.025, 0.655, 0.295, 0.025,
      0.655, 0.025, 0.025, 0.295,
    ]);
    close(out.y.sum(1).toArray(), [1, 1, 1, 1]);
  }));

  test('cutmixBox: timm rand_bbox with halves rounded down, clipped, lambda corrected by the area', () => {
    // lam 0.75: cut ratio 0.5, a 4x4 box (half 2) at centre (1, 6), clipped at the top and the right.
    assert.deepEqual(cutmixBox(8, 8, 0.75, 1, 6), { y0: 0, y1: 3, x0: 4, x1: 8, lam: 1 - 12 / 64 });
    // int(7 * sqrt(0.5)) = 4 rows (half 2), int(9 * sqrt(0.5)) = 6 columns (half 3).
    assert.deepEqual(cutmixBox(7, 9, 0.5, 3, 4), { y0: 1, y1: 5, x0: 1, x1: 7, lam: 1 - 24 / 63 });
    assert.equal(cutmixBox(8, 8, 1, 4, 4).lam, 1); // empty box
  });

  test('mixWith with a box: the partner\'s box pasted, labels mixed by the corrected lambda', () => tidy(() => {
    const x = batch(2, 1, 8, 8);
    const y = tensor([1, 3], { dtype: 'int64' });
    const box = cutmixBox(8, 8, 0.75, 1, 6);
    const out = mixWith(x, y, box.lam, box, { numClasses: 4 });
    const xs = x.toArray();
    const o = out.x.toArray();
    for (let b = 0; b < 2; b++) {
      for (let r = 0; r < 8; r++) {
        for (let c = 0; c < 8; c++) {
          const inBox = r < 3 && c >= 4;
          assert.equal(o[b * 64 + r * 8 + c], xs[(inBox ? 1 - b : b) * 64 + r * 8 + c], `sample ${b} (${r}, ${c})`);
        }
      }
    }
    close(out.y.toArray(), [0, 0.8125, 0, 0.1875, 0, 0.1875, 0, 0.8125]);
  }));

  test('not applied (prob 0 or both alphas 0): x copied, smoothed one-hot targets, lam 1', () => tidy(() => {
    const x = batch(2, 1, 4, 4);
    const y = tensor([2, 0], { dtype: 'int64' });
    for (const o of [{ mixup: 0.8, cutmix: 1, prob: 0 }, { mixup: 0, cutmix: 0 }]) {
      const out = mixupCutmix(x, y, { numClasses: 3, labelSmoothing: 0.3, ...o });
      assert.equal(out.lam, 1);
      assert.notEqual(out.x, x);
      assert.deepEqual(out.x.toArray(), x.toArray());
      close(out.y.toArray(), [0.1, 0.1, 0.8, 0.8, 0.1, 0.1]);
    }
  }));

  test('mixup only: the result is mixWith at the drawn lambda; same seed, same lambda; Beta mean 1/2', () => tidy(() => {
    const x = batch(4, 2, 4, 4);
    const y = tensor([0, 1, 2, 3], { dtype: 'int64' });
    const o = { numClasses: 4, mixup: 0.8, cutmix: 0 };
    manualSeed(7);
    const a = mixupCutmix(x, y, o);
    manualSeed(7);
    const b = mixupCutmix(x, y, o);
    assert.equal(a.lam, b.lam);
    assert.ok(a.lam > 0 && a.lam < 1);
    const ref = mixWith(x, y, a.lam, null, o);
    close(a.x.toArray(), ref.x.toArray());
    close(a.y.toArray(), ref.y.toArray());
    let sum = 0;
    for (let i = 0; i < 300; i++) sum += tidy(() => mixupCutmix(x, y, o).lam);
    assert.ok(Math.abs(sum / 300 - 0.5) < 0.08, `mean lambda ${sum / 300}`);
  }));

  test('switchProb 1 always cuts (one rectangle of area (1-lam)HW); 0 always mixes (every pixel)', () => tidy(() => {
    const [H, W] = [16, 16];
    const x = batch(2, 1, H, W);
    const y = tensor([0, 1], { dtype: 'int64' });
    manualSeed(3);
    for (let i = 0; i < 10; i++) {
      tidy(() => {
        const cut = mixupCutmix(x, y, { numClasses: 2, mixup: 1, cutmix: 1, switchProb: 1 });
        const changed = cut.x.ne(x).narrow(0, 0, 1).toArray();
        const rows = [...Array(H).keys()].filter((r) => changed.slice(r * W, r * W + W).some((v) => v));
        const cols = [...Array(W).keys()].filter((c) => rows.some((r) => changed[r * W + c]));
        assert.equal(changed.filter((v) => v).length, rows.length * cols.length, 'changed pixels form a rectangle');
        assert.ok(Math.abs(rows.length * cols.length - (1 - cut.lam) * H * W) < 1e-6);
        close(cut.y.toArray(), [cut.lam, 1 - cut.lam, 1 - cut.lam, cut.lam]);
        const mix = mixupCutmix(x, y, { numClasses: 2, mixup: 1, cutmix: 1, switchProb: 0 });
        if (mix.lam < 0.999) assert.ok(mix.x.ne(x).all().item(), 'mixup changes every pixel');
      });
    }
  }));

  test('input errors name the argument', () => tidy(() => {
    const x = batch(2, 1, 4, 4);
    const y = tensor([0, 1], { dtype: 'int64' });
    const o = { numClasses: 2, mixup: 0.8, cutmix: 1 };
    assert.throws(() => mixupCutmix(x.view(2, 16), y, o), /mixupCutmix: x must be a non-empty \[B, C, H, W\]/);
    assert.throws(() => mixupCutmix(x.long(), y, o), /x must be a float tensor/);
    assert.throws(() => mixupCutmix(x, tensor([0, 1, 1], { dtype: 'int64' }), o), /y must have shape \[2\]/);
    assert.throws(() => mixupCutmix(x, tensor([0, 1]), o), /y must hold int64/);
    assert.throws(() => mixupCutmix(x, tensor([0, 2], { dtype: 'int64' }), o), /y holds labels in \[0, 2\], outside \[0, numClasses = 2\)/);
    assert.throws(() => mixupCutmix(x, y, { ...o, numClasses: 0 }), /numClasses must be an integer >= 1/);
    assert.throws(() => mixupCutmix(x, y, { ...o, mixup: -1 }), /mixup \(alpha\) must be/);
    assert.throws(() => mixupCutmix(x, y, { ...o, cutmix: NaN }), /cutmix \(alpha\) must be/);
    assert.throws(() => mixupCutmix(x, y, { ...o, prob: 1.5 }), /prob must be a number in \[0, 1\]/);
    assert.throws(() => mixupCutmix(x, y, { ...o, switchProb: -0.1 }), /switchProb must be/);
    assert.throws(() => mixupCutmix(x, y, { ...o, labelSmoothing: 2 }), /labelSmoothing must be/);
  }));
});

describe('RandAugment ops (PIL rules on 0..255 values)', () => {
  test('the op table is timm\'s increasing set, in order', () => {
    assert.deepEqual(RAND_AUGMENT_OPS.map((o) => o.name), [
      'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeIncreasing', 'SolarizeIncreasing', 'SolarizeAdd',
      'ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing', 'ShearX', 'ShearY',
      'TranslateXRel', 'TranslateYRel',
    ]);
  });

  test('Invert, Posterize, Solarize, SolarizeAdd', () => {
    const s = [1, 1, 1, 5];
    assert.deepEqual(op('Invert', [0, 10, 255, 128, 1], s, 9), [255, 245, 0, 127, 254]);
    // m 5: keep 4 - int(2) = 2 bits (multiples of 64); m 10: 0 bits; m 0: 4 bits.
    assert.deepEqual(op('PosterizeIncreasing', [0, 63, 64, 200, 255], s, 5), [0, 0, 64, 192, 192]);
    assert.deepEqual(op('PosterizeIncreasing', [0, 63, 64, 200, 255], s, 10), [0, 0, 0, 0, 0]);
    assert.deepEqual(op('PosterizeIncreasing', [0, 15, 16, 200, 255], s, 0), [0, 0, 16, 192, 240]);
    // m 5: threshold 256 - 128 = 128; m 0: threshold 256 (no change).
    assert.deepEqual(op('SolarizeIncreasing', [0, 127, 128, 200, 255], s, 5), [0, 127, 127, 55, 0]);
    assert.deepEqual(op('SolarizeIncreasing', [0, 127, 128, 200, 255], s, 0), [0, 127, 128, 200, 255]);
    // m 5: int(55) added below 128.
    assert.deepEqual(op('SolarizeAdd', [0, 100, 127, 128, 250], s, 5), [55, 155, 182, 128, 250]);
  });

  test('Brightness, Contrast, Color, Sharpness: PIL blends, truncated and clipped', () => {
    // m 5: factor 1 + 0.45 (sign +) or 1 - 0.45.
    assert.deepEqual(op('BrightnessIncreasing', [10, 101, 200], [1, 1, 1, 3], 5, 1), [14, 146, 255]);
    assert.deepEqual(op('BrightnessIncreasing', [10, 101, 200], [1, 1, 1, 3], 5, -1), [5, 55, 110]);
    // Degenerate = the mean 50: 50 + 1.45 * (v - 50).
    assert.deepEqual(op('ContrastIncreasing', [0, 100], [1, 1, 1, 2], 5), [0, 122]);
    // Factor max(0.1, 1 - 0.9) = 0.1 towards PIL's L: (255,0,0) -> 76, (10,200,30) -> 124.
    assert.deepEqual(op('ColorIncreasing', [255, 10, 0, 200, 0, 30], [1, 3, 1, 2], 10, -1), [93, 112, 68, 131, 68, 114]);
    // Centre smoothed to round((9 + 5*130)/13) = 51, then 51 + 1.45 * 79; the border keeps its values.
    assert.deepEqual(op('SharpnessIncreasing', [9, 0, 0, 0, 130, 0, 0, 0, 0], [1, 1, 3, 3], 5), [9, 0, 0, 0, 165, 0, 0, 0, 0]);
  });

  test('AutoContrast per channel (a flat channel unchanged); Equalize by the histogram', () => {
    assert.deepEqual(op('AutoContrast', [50, 100, 150, 150, 7, 7, 7, 7, 0, 1, 2, 255], [1, 3, 1, 4], 0),
      [0, 127, 255, 255, 7, 7, 7, 7, 0, 1, 2, 255]);
    // 768 pixels, a third each of 10, 20, 30: step = 512 // 256 = 2, lut = (1 + #below) // 2 -> 0, 128, 256 (clipped).
    const eq = op('Equalize', [...Array(256).fill(10), ...Array(256).fill(20), ...Array(256).fill(30)], [1, 1, 16, 48], 0);
    assert.deepEqual([eq[0], eq[300], eq[700]], [0, 128, 255]);
    assert.deepEqual([...new Set(eq)], [0, 128, 255]);
    // 1024 pixels: 2 of 5, 767 of 50, 255 of 200: step = 769 // 256 = 3, so 50 -> (1 + 2) // 3 = 1 (the step//2 offset matters).
    const eq3 = op('Equalize', [5, 5, ...Array(767).fill(50), ...Array(255).fill(200)], [1, 1, 32, 32], 0);
    assert.deepEqual([eq3[0], eq3[1], eq3[2], eq3[768], eq3[769], eq3[1023]], [0, 0, 1, 1, 255, 255]);
    // Under 257 pixels PIL's step is 0: unchanged.
    const small = Array.from({ length: 64 }, (_, i) => (i * 7) % 50);
    assert.deepEqual(op('Equalize', small, [1, 1, 8, 8], 0), small);
  });

  test('TranslateX/Y by a whole pixel (0.9 px rounds to 1 under PIL\'s half-pixel rule), filled per channel', () => {
    const row = [1, 2, 3, 4, 5, 6, 7, 8];
    // m 2.5: 0.1125 * 8 = 0.9 pixels; out(x) = in(x + 1).
    assert.deepEqual(op('TranslateXRel', [...row, ...row], [1, 1, 2, 8], 2.5), [2, 3, 4, 5, 6, 7, 8, 128, 2, 3, 4, 5, 6, 7, 8, 128]);
    assert.deepEqual(op('TranslateXRel', row, [1, 1, 1, 8], 2.5, -1), [128, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(op('TranslateXRel', [...row, ...row, ...row], [1, 3, 1, 8], 2.5, 1, [0, 0.5, 1]),
      [2, 3, 4, 5, 6, 7, 8, 0, 2, 3, 4, 5, 6, 7, 8, 128, 2, 3, 4, 5, 6, 7, 8, 255]);
    assert.deepEqual(op('TranslateYRel', row, [1, 1, 8, 1], 2.5), [2, 3, 4, 5, 6, 7, 8, 128]);
    assert.deepEqual(op('TranslateXRel', row, [1, 1, 1, 8], 0), row); // magnitude 0: identity
  });

  test('Rotate and Shear: identity at magnitude 0; Rotate by 30 degrees keeps the centre pixel', () => {
    const v = Array.from({ length: 25 }, (_, i) => 10 + i);
    for (const name of ['Rotate', 'ShearX', 'ShearY']) assert.deepEqual(op(name, v, [1, 1, 5, 5], 0), v);
    const r = op('Rotate', v, [1, 1, 5, 5], 10);
    assert.equal(r[12], v[12]);
    assert.ok(r.includes(128), 'corners uncovered and filled');
  });
});

describe('randAugment', () => {
  const x = tidy(() => rand([4, 3, 8, 8]).mul(255).round().div(255));

  test('same seed, same output; another seed differs; [0, 1] multiples of 1/255, shape and dtype kept', () => tidy(() => {
    manualSeed(11);
    const a = randAugment(x);
    manualSeed(11);
    const b = randAugment(x);
    manualSeed(12);
    const c = randAugment(x);
    assert.deepEqual(a.toArray(), b.toArray());
    assert.notDeepEqual(a.toArray(), c.toArray());
    assert.deepEqual(a.shape, [4, 3, 8, 8]);
    assert.equal(a.dtype, 'float32');
    for (const v of a.toArray()) assert.ok(v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4);
    const d = randAugment(x.to('float64'), { ops: 3, magnitude: 10, magnitudeStd: Infinity, prob: 1 });
    assert.equal(d.dtype, 'float64');
  }));

  test('a saved RNG state replays the same augmentation (resume)', () => tidy(() => {
    manualSeed(5);
    randAugment(x);
    const state = getRngState();
    const a = randAugment(x, { prob: 1 });
    setRngState(state);
    assert.deepEqual(randAugment(x, { prob: 1 }).toArray(), a.toArray());
  }));

  test('each sample gets one of the ops applied to itself, with both signs drawn (grouping and write-back)', () => tidy(() => {
    const B = 32;
    const xs = tidy(() => rand([B, 3, 6, 6]).mul(255).round().div(255));
    manualSeed(2);
    const out = randAugment(xs, { ops: 1, prob: 1, magnitude: 7, magnitudeStd: 0 });
    const candidates = RAND_AUGMENT_OPS.flatMap((o) => [1, -1].map((sign) => ({ name: o.name, sign, v: back255(applyRandAugmentOp(o.name, xs, 7, sign)) })));
    const n = 3 * 6 * 6;
    const signs = new Set<string>();
    const names = new Set<string>();
    for (let b = 0; b < B; b++) {
      const got = back255(out.narrow(0, b, 1));
      const hits = candidates.filter((c) => got.every((v, i) => v === c.v[b * n + i]));
      assert.ok(hits.length > 0, `sample ${b} is not an op of its own input`);
      hits.forEach((h) => names.add(h.name));
      // A sample only one sign explains shows the sign that was drawn.
      const hitSigns = new Set(hits.map((h) => h.sign));
      if (hitSigns.size === 1) signs.add(String(hits[0].sign));
    }
    assert.deepEqual([...signs].sort(), ['-1', '1'], 'both signs drawn');
    assert.ok(names.size >= 6, `ops drawn: ${[...names].join(', ')}`);
  }));

  test('prob 0 or ops 0: the input, quantised', () => tidy(() => {
    const q = back255(x);
    assert.deepEqual(back255(randAugment(x, { prob: 0 })), q);
    assert.deepEqual(back255(randAugment(x, { ops: 0 })), q);
  }));

  test('input errors name the argument', () => tidy(() => {
    assert.throws(() => randAugment(rand([2, 2, 4, 4])), /randAugment: x01 must have 1 or 3 channels/);
    assert.throws(() => randAugment(x.long()), /x01 must be a float tensor/);
    assert.throws(() => randAugment(rand([3, 4, 4])), /x01 must be a non-empty \[B, C, H, W\]/);
    assert.throws(() => randAugment(x, { ops: -1 }), /ops must be an integer >= 0/);
    assert.throws(() => randAugment(x, { magnitude: -2 }), /magnitude must be/);
    assert.throws(() => randAugment(x, { magnitudeStd: -1 }), /magnitudeStd must be/);
    assert.throws(() => randAugment(x, { prob: 2 }), /prob must be a number in \[0, 1\]/);
    assert.throws(() => randAugment(x, { fill: [0.5, 0.5] }), /fill must be one value or 3/);
    assert.throws(() => applyRandAugmentOp('Blur', x, 5), /unknown op 'Blur'/);
  }));
});

describe('randomErasing', () => {
  test('prob 0: unchanged', () => tidy(() => {
    const x = batch(3, 3, 8, 8);
    assert.deepEqual(randomErasing(x, { prob: 0 }).toArray(), x.toArray());
  }));

  test('prob 1: exactly one rectangle per sample, all channels, area and aspect within the bounds', () => tidy(() => {
    const [B, C, H, W] = [8, 3, 16, 16];
    const x = tensor(Array(B * C * H * W).fill(5), { shape: [B, C, H, W] }); // noise never equals 5
    manualSeed(4);
    const changed = randomErasing(x, { prob: 1 }).ne(x).toArray();
    for (let b = 0; b < B; b++) {
      const plane = (c: number) => changed.slice((b * C + c) * H * W, (b * C + c + 1) * H * W);
      for (let c = 1; c < C; c++) assert.deepEqual(plane(c), plane(0), 'same box in every channel');
      const m = plane(0);
      const rows = [...Array(H).keys()].filter((r) => m.slice(r * W, r * W + W).some((v) => v));
      const cols = [...Array(W).keys()].filter((c) => rows.some((r) => m[r * W + c]));
      const [h, w] = [rows.length, cols.length];
      assert.ok(h > 0 && h < H && w > 0 && w < W, `sample ${b}: ${h}x${w}`);
      assert.equal(m.filter((v) => v).length, h * w, 'one filled rectangle');
      assert.equal(rows[h - 1] - rows[0] + 1, h);
      assert.equal(cols[w - 1] - cols[0] + 1, w);
      // h = round(sqrt(A r)), w = round(sqrt(A / r)): A and r lie in these intervals.
      assert.ok((h + 0.5) * (w + 0.5) >= 0.02 * H * W && (h - 0.5) * (w - 0.5) <= (H * W) / 3, `area of ${h}x${w}`);
      assert.ok((h + 0.5) / (w - 0.5) >= 0.3 && (h - 0.5) / (w + 0.5) <= 1 / 0.3, `aspect of ${h}x${w}`);
    }
  }));

  test('same seed, same boxes and noise; the erase rate follows prob', () => tidy(() => {
    const x = batch(4, 3, 8, 8);
    manualSeed(9);
    const a = randomErasing(x, { prob: 0.5 }).toArray();
    manualSeed(9);
    assert.deepEqual(randomErasing(x, { prob: 0.5 }).toArray(), a);
    const many = tensor(Array(400 * 64).fill(5), { shape: [400, 1, 8, 8] });
    const erased = randomErasing(many, { prob: 0.25 }).ne(many).flatten(1).float().max(1).sum().item();
    assert.ok(erased > 60 && erased < 140, `${erased} of 400 erased`);
    // The top-left is uniform over every fitting position: boxes reach each edge.
    const hit = randomErasing(many, { prob: 1 }).ne(many).float().sum([0, 1]).toArray(); // [8, 8] counts
    const edge = (idx: number[]) => idx.reduce((a, i) => a + hit[i], 0);
    const k = [...Array(8).keys()];
    for (const [side, idx] of [['top', k], ['bottom', k.map((i) => 56 + i)], ['left', k.map((i) => i * 8)], ['right', k.map((i) => i * 8 + 7)]] as const) {
      assert.ok(edge([...idx]) > 0, `no box reaches the ${side} edge`);
    }
  }));

  test('input errors name the argument', () => tidy(() => {
    const x = batch(2, 3, 8, 8);
    assert.throws(() => randomErasing(x.view(6, 8, 8), { prob: 0.5 }), /randomErasing: x must be a non-empty \[B, C, H, W\]/);
    assert.throws(() => randomErasing(x, { prob: 1.5 }), /prob must be a number in \[0, 1\]/);
    assert.throws(() => randomErasing(x, { prob: 0.5, minArea: 0.5, maxArea: 0.4 }), /maxArea must be a number in \[0.5, 1\]/);
    assert.throws(() => randomErasing(x, { prob: 0.5, minAspect: 0 }), /minAspect must be/);
    assert.throws(() => randomErasing(x, { prob: 0.5, attempts: 0 }), /attempts must be an integer >= 1/);
  }));
});
