/**
 * What the training benchmarks share: glibc's malloc settings (docs/engine.md, "Memory"),
 * insisted on by re-executing the script, and the BERT shapes they train.
 */
import { spawnSync } from 'node:child_process';

export const MALLOC_ENV = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '68719476736' } as const;

/** Re-executes this script with the malloc settings when they are missing (never returns then). */
export function ensureMallocEnv(script: string): void {
  if (Object.entries(MALLOC_ENV).every(([k, v]) => process.env[k] === v)) return;
  const settings = Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ');
  if (process.env.TOKENTAG_BENCH_REEXEC) {
    console.error(`${script}: could not set ${settings}; start it through npm run`);
    process.exit(2);
  }
  console.error(`${script}: re-executing with ${settings} (see docs/engine.md, "Memory")`);
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...MALLOC_ENV, TOKENTAG_BENCH_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}

/** The model shapes of bench/train and bench/profile (bert-mini's vocabulary is the trained WordPiece's). */
export const BERT_SHAPES = {
  tiny: { label: 'bert-tiny', hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 512 },
  mini: { label: 'bert-mini', hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 },
  base: { label: 'BERT-base', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, vocab_size: 28996 },
} as const;
