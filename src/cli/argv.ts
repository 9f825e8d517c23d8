// Argument vectors before node:util's parseArgs, for every command (without
// the config machinery of args.ts, so the report command stays light).
import type { ParseArgsConfig } from 'node:util';

/**
 * `--flag -1` as `--flag=-1`: parseArgs refuses an option value that starts
 * with '-' ("argument is ambiguous"); a negative number then reaches the
 * flag's own check, which says what the flag takes.
 */
export function joinNegativeValues(args: string[], options: ParseArgsConfig['options']): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return [...out, ...args.slice(i)];
    const next = args[i + 1];
    const opt = a.startsWith('--') && !a.includes('=') ? options?.[a.slice(2)] : undefined;
    if (opt?.type === 'string' && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
