// One error type for every data problem: it names the file (or directory) at
// fault and says what to do about it, so a NAS run never starts on a silently
// partial or corrupt dataset.

export class DataError extends Error {
  /** The file or directory the problem is about (empty when none applies). */
  readonly file: string;
  /** What the user can do about it. */
  readonly fix: string;

  constructor(file: string, problem: string, fix: string, options?: { cause?: unknown }) {
    super(`${file ? `${file}: ` : ''}${problem}. Fix: ${fix}`, options);
    this.name = 'DataError';
    this.file = file;
    this.fix = fix;
  }
}
