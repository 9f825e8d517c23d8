// Reading run directories for reports. A report is often made while runs are
// still being written or after they were killed, so nothing here throws on a
// run's contents: a torn last line of metrics.jsonl is skipped (and counted),
// a damaged JSON file becomes a warning. Only a bad path is an error.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readJson, type StatusFile } from '../search/rundir.js';

export type MetricRecord = Record<string, unknown>;

export interface LoadedRun {
  dir: string;
  /** The folder's name, e.g. tanglenas-seed0. */
  name: string;
  config: Record<string, unknown>;
  /** run.json: command and preset; null for a run directory without one. */
  info: { command?: string; preset?: string } | null;
  status: StatusFile | null;
  /** architecture.json of a search (may lack `architecture` when a supernet phase stopped). */
  architecture: Record<string, unknown> | null;
  /** result.json of train / finetune. */
  result: Record<string, unknown> | null;
  /** space.json: each choice's option values (runs written before it existed have none). */
  space: { choices?: Record<string, unknown[]> } | null;
  /** Parsed records, repeats of the same record (a resume) collapsed to the last. */
  metrics: MetricRecord[];
  /** Lines of metrics.jsonl that were not whole JSON objects (a run killed mid-write). */
  skippedLines: number;
  warnings: string[];
}

export class ReportInputError extends Error {}

export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, 'config.json'));
}

/**
 * The run directories a report covers: `path` itself when it is a run
 * directory (holds config.json), else its sub-folders that are (a compare folder).
 */
export function findRunDirs(path: string): string[] {
  const root = resolve(path);
  if (!existsSync(root)) throw new ReportInputError(`'${path}' does not exist; pass a run directory (it holds config.json) or a compare folder (it holds <method>-seed<N> run directories)`);
  if (!statSync(root).isDirectory()) {
    throw new ReportInputError(`'${path}' is a file; pass the run directory or compare folder that holds it (e.g. '${resolve(root, '..')}')`);
  }
  if (isRunDir(root)) return [root];
  const dirs = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isRunDir(join(root, e.name)))
    .map((e) => join(root, e.name))
    .sort();
  if (dirs.length === 0) throw new ReportInputError(`'${path}' holds no run directories (no config.json in it or in its sub-folders); pass a folder written by 'tanglenas search' or 'tanglenas compare'`);
  return dirs;
}

/** Key under which a later record replaces an earlier one (a resumed run may repeat records). */
function recordKey(r: MetricRecord): string | null {
  const k = r.kind;
  if (k === 'epoch') return `epoch|${String(r.phase)}|${String(r.epoch)}`;
  if (k === 'step') return `step|${String(r.phase)}|${String(r.global_step)}`;
  if (k === 'generation') return `generation|${String(r.generation)}`;
  if (k === 'plan') return `plan|${String(r.phase)}`;
  return null;
}

/** Parses metrics.jsonl text; lines that are not JSON objects are counted, not fatal. */
export function parseMetrics(text: string): { records: MetricRecord[]; skipped: number } {
  const byKey = new Map<string, MetricRecord>();
  const loose: MetricRecord[] = [];
  let skipped = 0;
  let order = 0;
  const seq = new Map<MetricRecord, number>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      skipped++;
      continue;
    }
    const rec = r as MetricRecord;
    const key = recordKey(rec);
    if (key === null) loose.push(rec);
    else {
      const old = byKey.get(key);
      if (old) seq.delete(old);
      byKey.set(key, rec);
    }
    seq.set(rec, order++);
  }
  // File order of the surviving records.
  const records = [...byKey.values(), ...loose].sort((a, b) => seq.get(a)! - seq.get(b)!);
  return { records, skipped };
}

function readJsonOrWarn<T>(path: string, what: string, warnings: string[]): T | null {
  if (!existsSync(path)) return null;
  try {
    return readJson<T>(path, what);
  } catch (e) {
    warnings.push(`${(e as Error).message}; left out of the report`);
    return null;
  }
}

export function loadRun(dir: string): LoadedRun {
  const d = resolve(dir);
  const warnings: string[] = [];
  const config = readJsonOrWarn<Record<string, unknown>>(join(d, 'config.json'), 'run config', warnings);
  if (!config || typeof config !== 'object') {
    throw new ReportInputError(`'${join(d, 'config.json')}' is missing or not a JSON object; the run directory is damaged (remove it from the folder, or restore its config.json)`);
  }
  const metricsPath = join(d, 'metrics.jsonl');
  let metrics: MetricRecord[] = [];
  let skippedLines = 0;
  if (existsSync(metricsPath)) {
    const p = parseMetrics(readFileSync(metricsPath, 'utf8'));
    metrics = p.records;
    skippedLines = p.skipped;
    if (skippedLines > 0) warnings.push(`${basename(d)}/metrics.jsonl: ${skippedLines} line${skippedLines === 1 ? '' : 's'} not whole JSON (a write in progress, or a run killed mid-write); skipped`);
  }
  return {
    dir: d,
    name: basename(d),
    config,
    info: readJsonOrWarn(join(d, 'run.json'), 'run file', warnings),
    status: readJsonOrWarn(join(d, 'status.json'), 'status file', warnings),
    architecture: readJsonOrWarn(join(d, 'architecture.json'), 'architecture file', warnings),
    result: readJsonOrWarn(join(d, 'result.json'), 'result file', warnings),
    space: readJsonOrWarn(join(d, 'space.json'), 'space file', warnings),
    metrics,
    skippedLines,
    warnings,
  };
}

export function loadRuns(path: string): LoadedRun[] {
  return findRunDirs(path).map(loadRun);
}
