/**
 * The custom loop's optimizer and schedule, after PyTorch and transformers:
 *
 *   const optimizer = new AdamW(model.parameters(), { lr: 2e-5 });
 *   const lr_scheduler = get_scheduler('linear', { optimizer, num_warmup_steps: 0, num_training_steps });
 *   for (const batch of train_dataloader) {
 *     const outputs = await optimizer.step(batch); // forward + backward + AdamW update, one engine run
 *     lr_scheduler.step();
 *   }
 *
 * PyTorch spells one step as four calls (`model(**batch)`, `loss.backward()`, `optimizer.step()`,
 * `optimizer.zero_grad()`). The engine computes the loss, the gradients and the update in one
 * run of ONNX Runtime plus one WebAssembly pass, keeping no gradients between steps, so here it
 * is one call: {@link AdamW.step} takes the batch and returns the loss.
 */
import type { TensorData } from '../engine/dtype.ts';
import type { ExecutionProvider, StepResult, TrainingSession } from '../engine/runtime.ts';
import { TokentagError } from '../errors.ts';
import type { ModelInputs, PreTrainedModel } from '../models/auto-model.ts';
import { LrSchedule, type SchedulerType } from './schedule.ts';

/** What `model.parameters()` hands an optimizer: the model whose weights it will update. */
export interface ModelParameters {
  readonly model: PreTrainedModel;
}

export interface AdamWOptions {
  /** Learning rate. Default 1e-3, as PyTorch. A scheduler changes it every step. */
  readonly lr?: number;
  /** (β1, β2). Default (0.9, 0.999). */
  readonly betas?: readonly [number, number];
  /** Default 1e-8. */
  readonly eps?: number;
  /** Decoupled weight decay on every weight, as `torch.optim.AdamW(model.parameters())` does. Default 0.01, as PyTorch. */
  readonly weight_decay?: number;
  /** Clip the global gradient norm to this before the update (what `accelerator.clip_grad_norm_` does); default: no clipping, as the course's loop. */
  readonly max_grad_norm?: number;
  /** Seeds dropout. Default 42. */
  readonly seed?: number;
}

/** What one step reports. */
export interface OptimizerStepOutput {
  /** The batch's loss before the update (Python's `outputs.loss`). */
  readonly loss: number;
  /** The global gradient norm (before clipping). */
  readonly grad_norm: number;
  /** Optimizer steps done so far, this one included. */
  readonly step: number;
}

/** Where the engine runs: set by `Accelerator.prepare` (default: the CPU, ONNX Runtime's threads). */
export interface DevicePlacement {
  readonly executionProvider?: ExecutionProvider;
  readonly threads?: number;
}

/** `torch.optim.AdamW`: see the module comment. */
export class AdamW {
  /** The model this optimizer trains. */
  readonly model: PreTrainedModel;
  /** The learning rate of the next step (a scheduler sets it, as PyTorch's `param_groups[0]['lr']`). */
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weight_decay: number;
  readonly max_grad_norm: number;
  readonly seed: number;
  #placement: DevicePlacement = {};
  #session: Promise<TrainingSession> | null = null;

  constructor(params: ModelParameters, options: AdamWOptions = {}) {
    if (!params || !params.model) throw new TokentagError('AdamW takes model.parameters() (the model to train) as its first argument');
    this.model = params.model;
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weight_decay = options.weight_decay ?? 0.01;
    this.max_grad_norm = options.max_grad_norm ?? 0;
    this.seed = options.seed ?? 42;
    if (!(Number.isFinite(this.lr) && this.lr >= 0)) throw new TokentagError(`AdamW: lr must be a number ≥ 0, got ${this.lr}`);
  }

  /** @internal Where to run (from `Accelerator.prepare`), before the first step. */
  place(placement: DevicePlacement): void {
    if (this.#session) throw new TokentagError('prepare the optimizer before its first step');
    this.#placement = placement;
  }

  /** The training session: created at the first step (or by `Accelerator.prepare`), attached to the model. */
  session(tokenTypeIds: boolean): Promise<TrainingSession> {
    this.#session ??= this.model.trainingSession({
      tokenTypeIds,
      // torch.optim.AdamW(model.parameters()) decays every weight (the Trainer leaves biases and LayerNorm out).
      adamw: { weightDecay: this.weight_decay, betas: this.betas, eps: this.eps, decay: () => true },
      maxGradNorm: this.max_grad_norm,
      seed: this.seed,
      ...(this.#placement.threads !== undefined ? { threads: this.#placement.threads } : {}),
      ...(this.#placement.executionProvider !== undefined ? { executionProvider: this.#placement.executionProvider } : {}),
    });
    this.#session.catch(() => (this.#session = null));
    return this.#session;
  }

  /**
   * One training step on `batch` (a padded batch with `labels`): forward pass with dropout,
   * backward pass, and the AdamW update at the current `lr`. Returns the loss.
   */
  async step(batch: ModelInputs): Promise<OptimizerStepOutput> {
    if (!batch || !batch.input_ids) throw new TokentagError('optimizer.step(batch): give the batch to train on (what the data collator returns)');
    if (!batch.labels) throw new TokentagError('optimizer.step(batch): the batch has no labels; the training set needs a labels column (align_labels_with_tokens)');
    const session = await this.session(batch.token_type_ids !== undefined);
    const feeds: Record<string, TensorData> = { input_ids: batch.input_ids, labels: batch.labels };
    if (batch.attention_mask) feeds.attention_mask = batch.attention_mask;
    if (batch.token_type_ids) feeds.token_type_ids = batch.token_type_ids;
    const r: StepResult = await session.step(feeds, { lr: this.lr });
    return { loss: r.loss, grad_norm: r.gradNorm, step: r.step };
  }
}

/** `transformers.get_scheduler`'s options. */
export interface SchedulerOptions {
  readonly optimizer: AdamW;
  /** Default 0. */
  readonly num_warmup_steps?: number;
  readonly num_training_steps: number;
}

/**
 * A learning-rate scheduler as PyTorch's `LambdaLR`: made at step 0 (it sets the optimizer's
 * `lr` to `base_lr · f(0)`), then `step()` after each optimizer step moves it on. The
 * multipliers are `transformers/optimization.py`'s ({@link LrSchedule}, the Trainer's).
 */
export class LRScheduler {
  readonly optimizer: AdamW;
  readonly schedule: LrSchedule;
  /** Scheduler steps taken (PyTorch's `last_epoch`). */
  last_epoch = 0;

  constructor(schedule: LrSchedule, optimizer: AdamW) {
    this.schedule = schedule;
    this.optimizer = optimizer;
    optimizer.lr = schedule.lastLr(0);
  }

  /** Moves to the next step's learning rate. */
  step(): void {
    this.last_epoch++;
    this.optimizer.lr = this.schedule.lastLr(this.last_epoch);
  }

  /** The learning rate the next optimizer step uses, in a list (one parameter group). */
  get_last_lr(): number[] {
    return [this.schedule.lastLr(this.last_epoch)];
  }
}

/** transformers' `get_scheduler(name, optimizer=…, num_warmup_steps=…, num_training_steps=…)`. */
export function get_scheduler(name: SchedulerType, options: SchedulerOptions): LRScheduler {
  if (!options || !(options.optimizer instanceof AdamW)) throw new TokentagError("get_scheduler(name, { optimizer, num_warmup_steps, num_training_steps }): optimizer must be the AdamW optimizer");
  return new LRScheduler(
    new LrSchedule({ type: name, baseLr: options.optimizer.lr, totalSteps: options.num_training_steps, warmupSteps: options.num_warmup_steps ?? 0 }),
    options.optimizer,
  );
}
