/**
 * Learning-rate schedules: the multiplier functions of `transformers/optimization.py`, applied
 * the way PyTorch's `LambdaLR` applies them inside the Hugging Face Trainer.
 *
 * `LambdaLR` sets lr = base_lr · f(0) when it is created; the Trainer calls
 * `optimizer.step()` and then `scheduler.step()`, which moves the schedule to f(1), f(2), …
 * So optimizer step k (1-based) runs with base_lr · f(k − 1): the first step uses f(0), which
 * is 0 during a linear warm-up. The learning rate Hugging Face logs after step k is
 * `get_last_lr()`, i.e. base_lr · f(k), the rate of the *next* step ({@link LrSchedule.lastLr}).
 */
import { TokentagError } from '../errors.ts';

export type SchedulerType = 'linear' | 'constant' | 'constant_with_warmup' | 'cosine';

/** `_get_constant_lambda`. */
export function constantLambda(_step: number): number {
  return 1;
}

/** `_get_constant_schedule_with_warmup_lr_lambda`. */
export function constantWithWarmupLambda(step: number, warmupSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  return 1;
}

/** `_get_linear_schedule_with_warmup_lr_lambda`. */
export function linearLambda(step: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/** `_get_cosine_schedule_with_warmup_lr_lambda` (default 0.5 cycles: from 1 down to 0). */
export function cosineLambda(step: number, warmupSteps: number, totalSteps: number, numCycles = 0.5): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  // Same operation order as Python: math.pi * float(num_cycles) * 2.0 * progress.
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
}

export interface ScheduleOptions {
  readonly type: SchedulerType;
  readonly baseLr: number;
  /** Total optimizer steps (Hugging Face's `num_training_steps`). */
  readonly totalSteps: number;
  /** Default 0. */
  readonly warmupSteps?: number;
  /** Cosine only; default 0.5. */
  readonly numCycles?: number;
}

/** The JSON form written to `scheduler.json`. */
export interface ScheduleJson {
  readonly type: SchedulerType;
  readonly base_lr: number;
  readonly total_steps: number;
  readonly warmup_steps: number;
  readonly num_cycles: number;
}

export class LrSchedule {
  readonly type: SchedulerType;
  readonly baseLr: number;
  readonly totalSteps: number;
  readonly warmupSteps: number;
  readonly numCycles: number;

  constructor(opts: ScheduleOptions) {
    const { type, baseLr, totalSteps } = opts;
    const warmupSteps = opts.warmupSteps ?? 0;
    const numCycles = opts.numCycles ?? 0.5;
    if (!['linear', 'constant', 'constant_with_warmup', 'cosine'].includes(type)) throw new TokentagError(`unknown lr schedule ${JSON.stringify(type)}`);
    if (!Number.isFinite(baseLr) || baseLr < 0) throw new TokentagError(`baseLr must be a finite number ≥ 0, got ${baseLr}`);
    if (!Number.isInteger(totalSteps) || totalSteps < 0) throw new TokentagError(`totalSteps must be an integer ≥ 0, got ${totalSteps}`);
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new TokentagError(`warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
    if (!Number.isFinite(numCycles)) throw new TokentagError(`numCycles must be finite, got ${numCycles}`);
    this.type = type;
    this.baseLr = baseLr;
    this.totalSteps = totalSteps;
    this.warmupSteps = warmupSteps;
    this.numCycles = numCycles;
  }

  /** The multiplier f(s) after s scheduler steps (`lr_lambda(s)`). */
  multiplier(s: number): number {
    switch (this.type) {
      case 'constant':
        return constantLambda(s);
      case 'constant_with_warmup':
        return constantWithWarmupLambda(s, this.warmupSteps);
      case 'linear':
        return linearLambda(s, this.warmupSteps, this.totalSteps);
      case 'cosine':
        return cosineLambda(s, this.warmupSteps, this.totalSteps, this.numCycles);
    }
  }

  /** The learning rate of optimizer step `step` (1-based): base_lr · f(step − 1). */
  lrAt(step: number): number {
    if (!Number.isInteger(step) || step < 1) throw new TokentagError(`optimizer steps count from 1, got ${step}`);
    return this.baseLr * this.multiplier(step - 1);
  }

  /** `scheduler.get_last_lr()` after `stepsDone` steps: base_lr · f(stepsDone) — what Hugging Face logs as `learning_rate`. */
  lastLr(stepsDone: number): number {
    return this.baseLr * this.multiplier(stepsDone);
  }

  toJSON(): ScheduleJson {
    return { type: this.type, base_lr: this.baseLr, total_steps: this.totalSteps, warmup_steps: this.warmupSteps, num_cycles: this.numCycles };
  }

  static fromJSON(j: ScheduleJson): LrSchedule {
    return new LrSchedule({ type: j.type, baseLr: j.base_lr, totalSteps: j.total_steps, warmupSteps: j.warmup_steps, numCycles: j.num_cycles });
  }
}

/** Hugging Face's `get_scheduler(name, optimizer, num_warmup_steps, num_training_steps)`. */
export function createSchedule(opts: ScheduleOptions): LrSchedule {
  return new LrSchedule(opts);
}

/** `TrainingArguments.get_warmup_steps`: `warmupSteps` when > 0, else ⌈total · warmupRatio⌉. */
export function warmupStepsFor(totalSteps: number, warmupSteps: number, warmupRatio: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(totalSteps * warmupRatio);
}
