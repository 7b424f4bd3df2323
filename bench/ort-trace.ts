/**
 * Reading ONNX Runtime's profile (the Chrome trace a session writes when profiling is on, see
 * TOKENTAG_ORT_PROFILE in docs/engine.md): the last runs and their kernels.
 */
import { readFileSync } from 'node:fs';

export interface TraceEvent {
  name: string;
  cat?: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

/** The last `n` `model_run` events of a trace file and the kernel events from the first of them on. */
export function lastRuns(file: string, n: number): { runs: TraceEvent[]; kernels: TraceEvent[] } {
  const events = JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[];
  const runs = events.filter((e) => e.name === 'model_run').slice(-n);
  if (runs.length === 0) return { runs, kernels: [] };
  const from = runs[0]!.ts;
  return { runs, kernels: events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= from) };
}
