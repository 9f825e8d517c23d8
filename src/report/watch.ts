// The live view: rewrite the report whenever a run's files change (new
// metric lines, a status change, a new run directory of a compare grid), with
// a page that reloads itself. Polls file sizes and times rather than using
// fs.watch, which misses changes on network and container file systems and
// fires several times per append.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeReport, type ReportOptions, type ReportResult } from './report.js';
import { findRunDirs } from './runs.js';

const WATCHED = ['config.json', 'status.json', 'metrics.jsonl', 'architecture.json', 'result.json'];

/** Changes whenever a watched file of any run under `path` changes, or a run appears. */
export function fingerprint(path: string): string {
  let dirs: string[];
  try {
    dirs = findRunDirs(path);
  } catch (e) {
    return `error ${(e as Error).message}`;
  }
  const parts: string[] = [];
  for (const d of dirs) {
    for (const f of WATCHED) {
      try {
        const st = statSync(join(d, f));
        parts.push(`${d}/${f} ${st.size} ${st.mtimeMs}`);
      } catch {
        parts.push(`${d}/${f} -`);
      }
    }
  }
  return parts.join('\n');
}

export interface WatchOptions extends ReportOptions {
  /** Poll interval (default 2 s). */
  intervalMs?: number;
  signal?: AbortSignal;
  onWrite?: (r: ReportResult) => void;
  /** A rewrite that failed; the watch goes on. */
  onError?: (e: Error) => void;
}

/**
 * Writes the live report now and after every change, until `signal` aborts;
 * then writes it once more without the reload, as a static page. The first
 * write's errors (a bad path) are thrown.
 */
export async function watchReport(path: string, o: WatchOptions = {}): Promise<ReportResult> {
  const intervalMs = o.intervalMs ?? 2000;
  const refreshSeconds = o.refreshSeconds ?? Math.max(1, Math.round(intervalMs / 1000));
  let last = fingerprint(path);
  o.onWrite?.(await writeReport(path, { ...o, refreshSeconds }));
  while (!o.signal?.aborted) {
    try {
      await sleep(intervalMs, undefined, { signal: o.signal });
    } catch {
      break; // aborted
    }
    const fp = fingerprint(path);
    if (fp === last) continue;
    last = fp;
    try {
      o.onWrite?.(await writeReport(path, { ...o, refreshSeconds }));
    } catch (e) {
      o.onError?.(e as Error);
    }
  }
  return writeReport(path, { ...o, refreshSeconds: null });
}
