/**
 * `Tensor`: a {@link TensorData} (what the engine feeds and returns) with the few methods a
 * training loop written after PyTorch reads results with — `shape`, `argmax(dim)`, `tolist()`,
 * `item()`. It is plain data underneath, so the engine takes it wherever it takes `TensorData`.
 * The rank `R` is tracked in the type, so `tolist()` of a `[batch, sequence]` tensor is
 * `number[][]`.
 */
import { TokentagError } from '../errors.ts';
import type { DType, TensorData, TypedArrayOf } from './dtype.ts';

/** Nested lists of a rank: 0 → number, 1 → number[], 2 → number[][], … (unknown rank: any depth). */
export type NestedList<R extends number> = R extends 0 ? number : R extends 1 ? number[] : R extends 2 ? number[][] : R extends 3 ? number[][][] : NestedNumbers;
export type NestedNumbers = number | NestedNumbers[];
type Lower = [never, 0, 1, 2, 3, 4, 5];
/** The rank after removing one dimension. */
export type RankBelow<R extends number> = R extends keyof Lower ? Lower[R] : number;

export class Tensor<D extends DType = DType, R extends number = number> implements TensorData<D> {
  readonly dtype: D;
  readonly dims: readonly number[];
  readonly data: TypedArrayOf<D>;

  constructor(t: TensorData<D>) {
    this.dtype = t.dtype;
    this.dims = Object.freeze([...t.dims]);
    this.data = t.data;
  }

  /** Wraps engine data without copying it. */
  static from<D extends DType, R extends number = number>(t: TensorData<D>): Tensor<D, R> {
    return t instanceof Tensor ? (t as Tensor<D, R>) : new Tensor<D, R>(t);
  }

  /** PyTorch's `shape` / `size()`. */
  get shape(): readonly number[] {
    return this.dims;
  }

  #number(i: number): number {
    const v = this.data[i];
    return typeof v === 'bigint' ? Number(v) : (v as number);
  }

  /** The indices of the largest values along `dim` (default the last), as PyTorch's `argmax(dim=-1)`; ties go to the first. */
  argmax(dim = -1): Tensor<'int64', RankBelow<R>> {
    const rank = this.dims.length;
    const d = dim < 0 ? rank + dim : dim;
    if (!Number.isInteger(d) || d < 0 || d >= rank) throw new TokentagError(`argmax: dim ${dim} is outside a tensor of shape [${this.dims.join(', ')}]`);
    const outer = this.dims.slice(0, d).reduce((a, b) => a * b, 1);
    const size = this.dims[d];
    const inner = this.dims.slice(d + 1).reduce((a, b) => a * b, 1);
    if (size === 0) throw new TokentagError(`argmax: dimension ${d} of [${this.dims.join(', ')}] is empty`);
    const out = new BigInt64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * size * inner + i;
        let best = 0;
        let bestV = this.#number(base);
        for (let k = 1; k < size; k++) {
          const v = this.#number(base + k * inner);
          if (v > bestV) {
            bestV = v;
            best = k;
          }
        }
        out[o * inner + i] = BigInt(best);
      }
    }
    return new Tensor<'int64', RankBelow<R>>({ dtype: 'int64', dims: [...this.dims.slice(0, d), ...this.dims.slice(d + 1)], data: out });
  }

  /** The values as nested arrays of numbers (PyTorch's `tolist()`; int64 becomes `number`). */
  tolist(): NestedList<R> {
    const build = (axis: number, offset: number): NestedNumbers => {
      if (axis === this.dims.length) return this.#number(offset);
      const stride = this.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.dims[axis] }, (_, k) => build(axis + 1, offset + k * stride));
    };
    return build(0, 0) as NestedList<R>;
  }

  /** The one value of a tensor with one element (PyTorch's `item()`). */
  item(): number {
    if (this.data.length !== 1) throw new TokentagError(`item() needs a tensor with one element; this one has shape [${this.dims.join(', ')}]`);
    return this.#number(0);
  }
}
