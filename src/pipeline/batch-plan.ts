/**
 * How the windows of one call are grouped into model runs.
 *
 * Every run pads its rows to its longest, and every run has a fixed cost of its own (ONNX
 * Runtime's dispatch, the feeds, the softmax call), so neither "one run for everything" nor
 * "one run per window" is best: with the windows sorted by length, the best grouping into
 * consecutive runs minimises  Σ (rows × longest + perRunCells)  — a small dynamic programme.
 * When runs can go side by side (`lanes` > 1), the costliest runs are then halved until there
 * are two per lane, so no core idles while another works through a long run.
 */

export interface BatchPlanOptions {
  /** At most this many rows per run (the pipeline's `batchSize`). */
  maxRows: number;
  /** The fixed cost of one run, in padded token cells. */
  perRunCells?: number;
  /** Runs that can execute at the same time (the worker count). */
  lanes?: number;
}

/**
 * The default fixed cost of a run, in cells. Chosen on bert-tiny (2 × 128), where a run's fixed
 * cost weighs most against its work; in a one-off comparison 16–64 did about equally well.
 */
const PER_RUN_CELLS = 32;

/**
 * Groups windows of the given token lengths into runs. Returns the runs, costliest first, as
 * lists of indices into `lengths`, each run's rows longest first; every index appears exactly
 * once.
 */
export function planBatches(lengths: readonly number[], options: BatchPlanOptions): number[][] {
  const { maxRows } = options;
  const perRun = options.perRunCells ?? PER_RUN_CELLS;
  const lanes = options.lanes ?? 1;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`);
  const n = lengths.length;
  if (n === 0) return [];
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  // best[j]: the least cost of the first j windows (in `order`); cut[j]: where its last run starts.
  const best = new Float64Array(n + 1).fill(Infinity);
  const cut = new Int32Array(n + 1);
  best[0] = 0;
  for (let j = 1; j <= n; j++) {
    for (let i = Math.max(0, j - maxRows); i < j; i++) {
      const c = best[i]! + (j - i) * lengths[order[i]!]! + perRun;
      if (c < best[j]!) {
        best[j] = c;
        cut[j] = i;
      }
    }
  }
  const runs: number[][] = [];
  for (let j = n; j > 0; j = cut[j]!) runs.unshift(order.slice(cut[j]!, j));
  // Give every lane two runs (so that handing them out costliest first can even the lanes out):
  // halve the costliest run that still has two rows.
  const cost = (r: readonly number[]): number => r.length * lengths[r[0]!]!;
  const wanted = lanes > 1 ? 2 * lanes : 1;
  while (runs.length < wanted) {
    let k = -1;
    for (let i = 0; i < runs.length; i++) if (runs[i]!.length > 1 && (k < 0 || cost(runs[i]!) > cost(runs[k]!))) k = i;
    if (k < 0) break;
    const r = runs[k]!;
    const half = Math.ceil(r.length / 2);
    runs.splice(k, 1, r.slice(0, half), r.slice(half));
  }
  // Costliest first: handed out in this order to the least-loaded lane, that is the classic
  // longest-processing-time rule, which keeps the lanes' totals close.
  return runs.sort((a, b) => cost(b) - cost(a));
}
