// The HTML report in a real browser: headless Chromium (Debian package
// 'chromium', installed by scripts/test.sh) loads the page, a probe script
// added to a copy of it measures what was laid out, and Chromium's log must
// show no console message (the page itself has no script, so any message is
// an error: a blocked resource, a parse error in the probe). Skipped only when
// no chromium binary is found.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { writeReport } from './report.js';
import { withTempDir, writeCompareFixture } from './test-util.js';

const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const found = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
const skip = found.error ? `no '${CHROMIUM}' binary (${(found.error as NodeJS.ErrnoException).code}); install the Debian package chromium (scripts/test.sh does) or set CHROMIUM=/path/to/chromium` : false;

/** Runs headless Chromium on a file; returns stdout and the console messages it logged. */
function chromium(profile: string, args: string[], file: string): { stdout: string; console: string[] } {
  const r = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--hide-scrollbars', '--enable-logging=stderr', '--v=0', `--user-data-dir=${profile}`, ...args, pathToFileURL(file).href], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 });
  assert.equal(r.error, undefined, `chromium did not run: ${r.error?.message}`);
  assert.equal(r.status, 0, `chromium exited with ${r.status}: ${r.stderr.slice(-2000)}`);
  return { stdout: r.stdout, console: r.stderr.split('\n').filter((l) => l.includes(':CONSOLE')) };
}

// Added to a copy of the page: measures every chart and table and writes the
// result into an attribute that --dump-dom prints.
const PROBE = `<script>
const charts = [...document.querySelectorAll('figure.chart > svg')].map((s) => {
  const r = s.getBoundingClientRect();
  return { id: s.parentElement.id, w: Math.round(r.width), h: Math.round(r.height), lines: s.querySelectorAll('g.mark-line path').length };
});
const rows = document.querySelectorAll('table.results tbody tr').length;
document.documentElement.setAttribute('data-probe', JSON.stringify({ charts, rows, title: document.title }));
</script>`;

test('HTML report: self-contained, renders in headless Chromium with every chart laid out and no console message', { skip, timeout: 240_000 }, () =>
  withTempDir(async (dir) => {
    const runs = join(dir, 'compare');
    writeCompareFixture(runs);
    const r = await writeReport(runs, { out: join(dir, 'out'), title: 'fixture report' });
    const html = readFileSync(r.files.html, 'utf8');
    // Nothing to fetch: no script, stylesheet, image or frame, no remote URL (xmlns names are not fetched).
    assert.doesNotMatch(html, /<(script|link|img|iframe)\b/i);
    assert.doesNotMatch(html.replace(/xmlns(:\w+)?="http[^"]*"/g, ''), /https?:\/\//);
    assert.doesNotMatch(html, /http-equiv="refresh"/, 'a static report does not reload');

    const probe = join(dir, 'probe.html');
    writeFileSync(probe, html.replace('</body>', `${PROBE}\n</body>`));
    const out = chromium(join(dir, 'profile'), ['--dump-dom'], probe);
    assert.deepEqual(out.console, [], 'console messages while loading the report');
    const m = /data-probe="([^"]*)"/.exec(out.stdout);
    assert.ok(m, `the probe ran (no data-probe attribute in the DOM):\n${out.stdout.slice(0, 500)}`);
    const p = JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { charts: { id: string; w: number; h: number; lines: number }[]; rows: number; title: string };
    assert.equal(p.title, 'fixture report');
    assert.equal(p.rows, 4, 'three methods and the optimum');
    assert.deepEqual(
      p.charts.map((c) => [c.id, c.lines]),
      [
        ['anytime-benchmark-time', 3],
        ['anytime-benchmark-epoch', 2],
        ['anytime-validation-time', 3],
        ['anytime-validation-epoch', 2],
        ['alpha-drnas-ws', 6],
        ['alpha-tanglenas-we', 6],
        ['time', 0],
        ['memory', 0],
      ],
    );
    for (const c of p.charts) assert.ok(c.w > 200 && c.h > 150, `${c.id} laid out at ${c.w}x${c.h}`);

    const png = join(dir, 'report.png');
    chromium(join(dir, 'profile'), ['--window-size=1280,1600', `--screenshot=${png}`], r.files.html);
    assert.deepEqual([...readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(statSync(png).size > 30_000, 'a screenshot with content');
  }));

test("HTML report check: Chromium's console log is captured (a page that logs an error is caught)", { skip, timeout: 120_000 }, () =>
  withTempDir(async (dir) => {
    const page = join(dir, 'bad.html');
    writeFileSync(page, '<!DOCTYPE html><title>x</title><script>console.error("report-check-marker"); undefinedFunction();</script>');
    const out = chromium(join(dir, 'profile'), ['--dump-dom'], page);
    assert.ok(out.console.some((l) => l.includes('report-check-marker')), `console.error not captured:\n${out.console.join('\n')}`);
    assert.ok(out.console.some((l) => /Uncaught ReferenceError/.test(l)), 'an uncaught error is captured');
  }));
