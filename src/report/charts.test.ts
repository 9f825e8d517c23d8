import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { buildFigures, type Figure } from './figures.js';
import { loadRuns, type LoadedRun } from './runs.js';
import { optionNames } from './series.js';
import { summarize } from './summary.js';
import { withTempDir, writeCompareFixture } from './test-util.js';

/** Parses as XML, failing on any well-formedness error; returns the root element. */
function parseSvg(svg: string): Element {
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, msg) => void errors.push(`${level}: ${msg}`) }).parseFromString(svg, 'image/svg+xml');
  assert.deepEqual(errors, []);
  const root = doc.documentElement!;
  assert.equal(root.tagName, 'svg');
  assert.equal(root.getAttribute('xmlns'), 'http://www.w3.org/2000/svg');
  assert.ok(Number(root.getAttribute('width')) > 100 && Number(root.getAttribute('height')) > 100, 'a drawn size');
  return root;
}

function groups(root: Element, cls: string): Element[] {
  return Array.from(root.getElementsByTagName('g')).filter((g) => (g.getAttribute('class') ?? '').split(' ').includes(cls));
}

/** Number of series drawn as lines: the paths under the line-mark groups. */
function linePaths(root: Element): number {
  return groups(root, 'mark-line').reduce((n, g) => n + g.getElementsByTagName('path').length, 0);
}

function legendLabels(root: Element): string[] {
  return groups(root, 'role-legend-label').flatMap((g) => Array.from(g.getElementsByTagName('text')).map((t) => t.textContent ?? ''));
}

async function fixtureFigures(): Promise<{ figures: Map<string, Figure>; missing: string[] }> {
  return withTempDir(async (dir) => {
    writeCompareFixture(dir);
    const f = await buildFigures(summarize(loadRuns(dir)));
    return { figures: new Map(f.figures.map((x) => [x.file, x])), missing: f.missing };
  });
}

test('plots: the expected SVG files, each well-formed with a root <svg>', async () => {
  const { figures, missing } = await fixtureFigures();
  assert.deepEqual([...figures.keys()], ['anytime-benchmark-time.svg', 'anytime-benchmark-epoch.svg', 'anytime-validation-time.svg', 'anytime-validation-epoch.svg', 'alpha-drnas-ws.svg', 'alpha-tanglenas-we.svg', 'time.svg', 'memory.svg']);
  assert.deepEqual(missing, []);
  for (const f of figures.values()) {
    parseSvg(f.svg);
    assert.doesNotMatch(f.svg, /<script|href="http|xlink:href="http/, `${f.file} refers to nothing outside`);
  }
});

test('any-time plots: one line per method with records, every method in the legend, same colour order', async () => {
  const { figures } = await fixtureFigures();
  const time = parseSvg(figures.get('anytime-benchmark-time.svg')!.svg);
  assert.equal(linePaths(time), 3);
  assert.deepEqual(legendLabels(time), ['DrNAS (WS)', 'TangleNAS (WE)', 'SPOS+ES (WE)']);
  // Two-stage runs have no accuracy per epoch: two lines, the legend still lists all three.
  const epoch = figures.get('anytime-benchmark-epoch.svg')!;
  assert.equal(linePaths(parseSvg(epoch.svg)), 2);
  assert.deepEqual(legendLabels(parseSvg(epoch.svg)), ['DrNAS (WS)', 'TangleNAS (WE)', 'SPOS+ES (WE)']);
  assert.match(epoch.caption, /Not in this plot \(no such records per epoch\): SPOS\+ES \(WE\)/);
});

test('architecture-weight plot: one small chart per choice, one line per option, options named from the genotype', async () => {
  const { figures } = await fixtureFigures();
  const alpha = parseSvg(figures.get('alpha-tanglenas-we.svg')!.svg);
  assert.equal(linePaths(alpha), 6);
  assert.deepEqual(legendLabels(alpha), ['sep_conv_3x3', '#1', '#2', '#0', 'sep_conv_5x5', '#2']);
  const titles = groups(alpha, 'role-title-text').flatMap((g) => Array.from(g.getElementsByTagName('text')).map((t) => t.textContent));
  assert.ok(titles.includes('a') && titles.includes('b'), `choice titles in ${JSON.stringify(titles)}`);
});

test('architecture-weight plot: options named from space.json when the run wrote one', () => {
  const run = (space: LoadedRun['space']): LoadedRun => ({
    dir: '/x', name: 'x', config: {}, info: null, status: null, architecture: null, result: null, space, skippedLines: 0, warnings: [],
    metrics: [{ kind: 'epoch', epoch: 0, alpha: { a: [0.2, 0.5, 0.3] }, genotype: { a: 'sep' } }],
  });
  assert.deepEqual(optionNames([run(null)]).get('a'), ['#0', 'sep', '#2']);
  assert.deepEqual(optionNames([run({ choices: { a: ['dil', 'sep', 'max'] } })]).get('a'), ['dil', 'sep', 'max']);
});

test('time and memory bars: one bar per method with a result', async () => {
  const { figures } = await fixtureFigures();
  for (const file of ['time.svg', 'memory.svg']) {
    const root = parseSvg(figures.get(file)!.svg);
    const bars = groups(root, 'mark-rect').reduce((n, g) => n + g.getElementsByTagName('path').length, 0);
    assert.equal(bars, 2, file);
    // One dot per seed with a result: 3 TangleNAS + 2 SPOS+ES.
    const dots = groups(root, 'mark-symbol').filter((g) => (g.getAttribute('class') ?? '').includes('role-mark')).reduce((n, g) => n + g.getElementsByTagName('path').length, 0);
    assert.equal(dots, 5, file);
  }
});
