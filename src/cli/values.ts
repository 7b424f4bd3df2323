/**
 * What numbers on the command line can take beyond their kind (`num` in flags.ts checks them),
 * so that `--seed 1e30` or `--threads 100000` is a clear usage error, not a stack trace deep in
 * a generator or a process that hangs creating threads.
 */
import { availableParallelism } from 'node:os';

export type NumberKind = 'int' | 'float' | 'posint';

export interface NumberBounds {
  readonly min?: number;
  readonly max?: number;
  /** Said after the bounds, e.g. "this machine has 2 cores". */
  readonly why?: string;
}

/** A seed: what NumPy and PyTorch's `set_seed` take, 0 to 2^32 − 1. */
export const SEED_BOUNDS: NumberBounds = { min: 0, max: 2 ** 32 - 1 };

/**
 * ONNX Runtime sessions side by side, each holding a copy of the model: more than two per core
 * only costs memory.
 */
export function sessionBounds(): NumberBounds {
  const cores = availableParallelism();
  return { min: 1, max: Math.max(4, 2 * cores), why: `this machine has ${cores} core${cores === 1 ? '' : 's'}` };
}

/**
 * Threads per ONNX Runtime session: at most four per core. More only costs (each is a real
 * thread, and 100000 of them never finish starting).
 */
export function threadBounds(): NumberBounds {
  const cores = availableParallelism();
  return { min: 1, max: Math.max(8, 4 * cores), why: `this machine has ${cores} core${cores === 1 ? '' : 's'}` };
}
