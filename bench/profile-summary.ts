/**
 * Summarises an ONNX Runtime profile (written when TOKENTAG_ORT_PROFILE is set, see
 * docs/engine.md) by op type: kernel time per run and node count, over the last N runs.
 *
 *   TOKENTAG_ORT_PROFILE=/tmp/p npm run bench:train -- --configs mini:8 --product-steps 0 --no-torch --no-hf
 *   npx tsx bench/profile-summary.ts /tmp/p-train_*.json [--runs 10]
 */
import { parseArgs } from 'node:util';
import { lastRuns } from './ort-trace.ts';

const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '10' } }, allowPositionals: true });
if (positionals.length !== 1) {
  console.error('usage: npx tsx bench/profile-summary.ts PROFILE.json [--runs N]');
  process.exit(2);
}
const { runs: last, kernels } = lastRuns(positionals[0]!, Number(values.runs));
if (last.length === 0) {
  console.error(`${positionals[0]}: no model_run events`);
  process.exit(1);
}
const time = new Map<string, number>();
const count = new Map<string, number>();
for (const e of kernels) {
  const op = e.args?.op_name ?? '?';
  time.set(op, (time.get(op) ?? 0) + e.dur);
  count.set(op, (count.get(op) ?? 0) + 1);
}
const n = last.length;
const total = [...time.values()].reduce((a, b) => a + b, 0);
const runMs = last.reduce((a, e) => a + e.dur, 0) / n / 1000;
console.log(`${n} runs: ${runMs.toFixed(1)} ms per run, ${(total / n / 1000).toFixed(1)} ms of kernels, ${(kernels.length / n).toFixed(0)} nodes per run`);
for (const [op, t] of [...time].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${op.padEnd(24)} ${(t / n / 1000).toFixed(2).padStart(8)} ms/run  ${(count.get(op)! / n).toFixed(0).padStart(5)} nodes/run`);
}
