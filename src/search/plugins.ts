// Plugins: ES modules that register spaces, samplers or datasets (docs/api.md).
// The CLI loads them before it reads a config, so the names they register work
// in every command; a run records them (config key `plugins`), so resuming,
// evaluating or reporting it loads them again.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export class PluginError extends Error {
  override name = 'PluginError';
}

const loaded = new Set<string>();

/** Imports each plugin once (by absolute path); returns the absolute paths. Errors name the file and the cause. */
export async function loadPlugins(files: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const abs = resolve(f);
    out.push(abs);
    if (loaded.has(abs)) continue;
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new PluginError(`plugin '${f}' does not exist${abs !== f ? ` (${abs})` : ''}; give the path of an ES module (.js or .mjs) that registers spaces, samplers or datasets`);
    try {
      await import(pathToFileURL(abs).href);
    } catch (e) {
      const m = (e as Error).message ?? String(e);
      const hint = /already registered/.test(m) ? '' : '; fix the module (node --check FILE finds syntax errors)';
      throw new PluginError(`plugin '${f}' failed to load: ${m}${hint}`);
    }
    loaded.add(abs);
  }
  return out;
}

/** The plugins a run directory's config.json records (none for older runs). */
export function pluginsOf(config: Record<string, unknown> | null | undefined): string[] {
  const p = config?.plugins;
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : [];
}
