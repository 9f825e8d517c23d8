// `tanglenas generate RUN_DIR`: text from a language-model run (docs/lm.md).
import { parseOverride } from '../../search/config.js';
import { parse, prepareRunDir, str, UsageError } from '../args.js';

const deviceFlag = (v: unknown): string | undefined => (typeof v === 'string' ? (parseOverride('device', v, '--device') as string) : undefined);

const GENERATE_USAGE = `usage: tanglenas generate RUN_DIR [--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] [--seed S]

Samples text from a language-model run (lm-tiny, lm-small, lm-char, lm-paper): the trained
network of a 'train' or 'finetune' run, or the found architecture with the supernet's
weights of a search run. Prints the prompt followed by the generated text.
  --prompt TEXT      start of the text (default a newline); every character must be in
                     the run's vocabulary
  --tokens N         tokens to generate (default 200)
  --temperature T    softmax temperature (default 0.8; 0 = greedy)
  --top-k K          sample among the K most likely tokens only
  --seed S           sampling seed (default 0: the same text every time)
  --data-dir PATH    the corpus, when it moved since training
  --threads N
  --device D         auto, cpu, cuda or cuda:N (default: the run's device setting)`;

export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { prompt: { type: 'string' }, tokens: { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, seed: { type: 'string' }, 'data-dir': { type: 'string' }, threads: { type: 'string' }, device: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) return void console.log(GENERATE_USAGE);
  if (positionals.length !== 1) throw new UsageError(`generate takes one run directory, got ${positionals.length ? positionals.join(' ') : 'none'}\n\n${GENERATE_USAGE}`);
  const num = (flag: string, ok: (v: number) => boolean, what: string): number | undefined => {
    const v = str(values[flag]);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !ok(n)) throw new UsageError(`--${flag} must be ${what}, got '${v}'`);
    return n;
  };
  const tokens = num('tokens', (n) => Number.isInteger(n) && n >= 1 && n <= 100000, 'an integer from 1 to 100000');
  const temperature = num('temperature', (n) => Number.isFinite(n) && n >= 0, 'a number >= 0 (0 = greedy)');
  const topK = num('top-k', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
  const seed = num('seed', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
  await prepareRunDir(positionals[0], num('threads', (n) => Number.isInteger(n) && n >= 1, 'a positive integer'));
  const { generateFromRun } = await import('../../search/generate.js');
  const g = await generateFromRun(positionals[0], { prompt: str(values.prompt), tokens, temperature, topK, seed, dataDir: str(values['data-dir']), device: deviceFlag(values.device) });
  process.stdout.write(`${g.prompt}${g.text}\n`);
}
