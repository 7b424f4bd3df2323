/**
 * `Accelerator`, as the course's custom loop uses it — on one process. `prepare` places the
 * model on the engine: it compiles the training graphs for the optimizer (on the CPU, or a
 * `device` ONNX Runtime has), so the first step does not pay for it. There is nothing to spread
 * over processes, so `unwrap_model` returns the model and `is_main_process` is true.
 */
import type { ExecutionProvider } from '../engine/runtime.ts';
import { PreTrainedModel } from '../models/auto-model.ts';
import { DataLoader } from './data-loader.ts';
import { AdamW } from './optimizer.ts';

export interface AcceleratorOptions {
  /** Where to run: `'cpu'` (default), or `'cuda'` / `'webgpu'` with an onnxruntime-node build that has them. */
  readonly device?: ExecutionProvider;
  /** ONNX Runtime intra-op threads. Default: ONNX Runtime's choice. */
  readonly threads?: number;
}

export class Accelerator {
  readonly device: ExecutionProvider;
  readonly threads: number | undefined;
  /** One process: it is always the main one. */
  readonly is_main_process = true;
  readonly num_processes = 1;

  constructor(options: AcceleratorOptions = {}) {
    this.device = options.device ?? 'cpu';
    this.threads = options.threads;
  }

  /**
   * Returns its arguments, ready: each `AdamW` gets its training session now, on this
   * accelerator's device, with `token_type_ids` if the prepared data loaders' rows have them.
   */
  async prepare<const T extends readonly unknown[]>(...objects: T): Promise<T> {
    const loader = objects.find((o): o is DataLoader<Record<string, unknown>, unknown> => o instanceof DataLoader);
    const first = loader && loader.dataset.length > 0 ? (Array.isArray(loader.dataset) ? loader.dataset[0] : (loader.dataset as { get(i: number): unknown }).get(0)) : undefined;
    const tokenTypeIds = first !== undefined && first !== null && typeof first === 'object' && 'token_type_ids' in first;
    for (const o of objects) {
      if (o instanceof AdamW) {
        o.place({ executionProvider: this.device, ...(this.threads !== undefined ? { threads: this.threads } : {}) });
        await o.session(tokenTypeIds);
      }
    }
    return objects;
  }

  /** The model itself: nothing wraps it on one process. */
  unwrap_model<M extends PreTrainedModel>(model: M): M {
    return model;
  }

  /** Resolves at once: there are no other processes to wait for. */
  async wait_for_everyone(): Promise<void> {}
}
