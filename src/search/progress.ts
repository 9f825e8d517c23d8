// Progress output: on a terminal, one status line redrawn in place (bar, ETA,
// losses, current genotype) with log lines printed above it; otherwise plain
// log lines only (files, CI); nothing with --quiet.

export interface ProgressOptions {
  quiet?: boolean;
  /** Default: whether stderr is a terminal. */
  tty?: boolean;
  /** Where lines go (default stdout / stderr); tests capture them. */
  write?: (s: string) => void;
  writeStatus?: (s: string) => void;
  /** Where warnings go with quiet (default stderr). */
  writeWarning?: (s: string) => void;
}

export interface ProgressState {
  phase: string;
  done: number;
  total: number;
  /** Seconds per unit of work, for the ETA. */
  rate?: number;
  fields?: Record<string, string | number | null | undefined>;
  genotype?: string;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  readonly quiet: boolean;
  readonly tty: boolean;
  readonly #write: (s: string) => void;
  readonly #status: (s: string) => void;
  readonly #warning: (s: string) => void;
  #shown = false;
  #last = 0;

  constructor(o: ProgressOptions = {}) {
    this.quiet = o.quiet ?? false;
    this.tty = o.tty ?? Boolean(process.stderr.isTTY);
    this.#write = o.write ?? ((s) => process.stdout.write(s));
    this.#status = o.writeStatus ?? ((s) => process.stderr.write(s));
    this.#warning = o.writeWarning ?? ((s) => process.stderr.write(s));
  }

  /** A warning: a log line, or with quiet a line on stderr (something the user must know, e.g. a damaged file skipped). */
  warn(line: string): void {
    if (this.quiet) this.#warning(`tanglenas: warning: ${line}\n`);
    else this.log(`  warning: ${line}`);
  }

  /** A log line (above the status line on a terminal). */
  log(line: string): void {
    if (this.quiet) return;
    this.#clear();
    this.#write(line + '\n');
  }

  /** Redraws the status line (terminal only; at most 10 times a second). */
  update(p: ProgressState): void {
    if (this.quiet || !this.tty) return;
    const now = Date.now();
    if (now - this.#last < 100 && p.done < p.total) return;
    this.#last = now;
    const width = 24;
    const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const eta = p.rate !== undefined ? formatDuration((p.total - p.done) * p.rate) : '?';
    const fields = Object.entries(p.fields ?? {})
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(3)) : v}`)
      .join('  ');
    let line = `${p.phase} [${bar}] ${(100 * frac).toFixed(0).padStart(3)}% ETA ${eta}  ${fields}${p.genotype ? `  ${p.genotype}` : ''}`;
    const cols = process.stderr.columns ?? 160;
    if (line.length > cols - 1) line = line.slice(0, cols - 2) + '…';
    this.#status(`\r\x1b[K${line}`);
    this.#shown = true;
  }

  /** Removes the status line (before the final report). */
  done(): void {
    this.#clear();
  }

  #clear(): void {
    if (this.#shown) {
      this.#status('\r\x1b[K');
      this.#shown = false;
    }
  }
}
