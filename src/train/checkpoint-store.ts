/**
 * Where the Trainer keeps its checkpoints. In Node that is `checkpoint-<step>/` directories in
 * the output directory (`directoryCheckpointStore`, checkpoint.ts); a browser tab keeps them in
 * memory (`MemoryCheckpointStore`), which is what its "stop" and "resume" use. The Trainer only
 * speaks this interface.
 */
import type { TensorData } from '../engine/dtype.ts';
import { TokentagError } from '../errors.ts';
import type { CheckpointContents } from './checkpoint.ts';

export interface CheckpointStore {
  /** The name the checkpoint of `step` will have once written. */
  nameFor(step: number): string;
  /** Saves a checkpoint (replacing one of the same step); returns its name. */
  write(contents: CheckpointContents): string;
  read(name: string): CheckpointContents;
  /** The weights of a checkpoint (for loading the best model at the end). */
  params(name: string): Map<string, TensorData<'float32'>>;
  /** The newest checkpoint's name, or null. */
  latest(): string | null;
  /** Hugging Face's rotation: keeps the newest `limit` and the best; returns the names deleted. */
  rotate(limit: number | null, best: string | null): string[];
  /** Whether two names denote the same checkpoint. */
  same(a: string, b: string): boolean;
}

/** Checkpoints held in memory (copies of the session's state), for a browser tab. */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly saved = new Map<string, CheckpointContents>();

  nameFor(step: number): string {
    return `checkpoint-${step}`;
  }

  write(contents: CheckpointContents): string {
    const name = this.nameFor(contents.state.step);
    this.saved.delete(name);
    this.saved.set(name, structuredClone(contents));
    return name;
  }

  read(name: string): CheckpointContents {
    const c = this.saved.get(name);
    if (!c) throw new TokentagError(`no checkpoint ${name} (this session has ${[...this.saved.keys()].join(', ') || 'none'})`);
    return structuredClone(c);
  }

  params(name: string): Map<string, TensorData<'float32'>> {
    return this.read(name).state.params;
  }

  latest(): string | null {
    let best: { name: string; step: number } | null = null;
    for (const [name, c] of this.saved) if (!best || c.state.step > best.step) best = { name, step: c.state.step };
    return best?.name ?? null;
  }

  rotate(limit: number | null, best: string | null): string[] {
    if (limit === null || limit <= 0) return [];
    const all = [...this.saved.entries()].sort((a, b) => a[1].state.step - b[1].state.step).map(([n]) => n);
    let keep = limit;
    if (best && keep === 1 && all.length > 0 && all[all.length - 1] !== best) keep = 2;
    if (all.length <= keep) return [];
    const ordered = all.filter((n) => n !== best);
    if (best && all.includes(best)) ordered.push(best);
    const gone = ordered.slice(0, Math.max(0, ordered.length - keep));
    for (const n of gone) this.saved.delete(n);
    return gone;
  }

  same(a: string, b: string): boolean {
    return a === b;
  }
}
