/** Element types the engine uses, named as onnxruntime-node names tensor types. */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8' | 'int8' | 'float16';

export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int64'
      ? BigInt64Array
      : D extends 'int32'
        ? Int32Array
        : D extends 'bool' | 'uint8'
          ? Uint8Array
          : D extends 'int8'
            ? Int8Array
            : D extends 'float16'
              ? Uint16Array
              : never;

export type AnyTypedArray =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Uint8Array
  | Int8Array
  | Uint16Array;

/** ONNX `TensorProto.DataType` codes. */
export const onnxDataType: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

export const bytesPerElement: Record<DType, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  bool: 1,
  uint8: 1,
  int8: 1,
  float16: 2,
};

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16';
}

/** A dense tensor held in JS memory: the unit of initializers, feeds and results. */
export interface TensorData<D extends DType = DType> {
  readonly dtype: D;
  readonly dims: readonly number[];
  readonly data: TypedArrayOf<D>;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function allocate<D extends DType>(dtype: D, length: number): TypedArrayOf<D> {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length) as TypedArrayOf<D>;
    case 'float64':
      return new Float64Array(length) as TypedArrayOf<D>;
    case 'int64':
      return new BigInt64Array(length) as TypedArrayOf<D>;
    case 'int32':
      return new Int32Array(length) as TypedArrayOf<D>;
    case 'bool':
    case 'uint8':
      return new Uint8Array(length) as TypedArrayOf<D>;
    case 'int8':
      return new Int8Array(length) as TypedArrayOf<D>;
    case 'float16':
      return new Uint16Array(length) as TypedArrayOf<D>;
  }
  throw new Error(`unknown dtype ${dtype as string}`);
}

export function tensor<D extends DType>(dtype: D, dims: readonly number[], data?: TypedArrayOf<D>): TensorData<D> {
  const n = sizeOf(dims);
  const d = data ?? allocate(dtype, n);
  if (d.length !== n) throw new Error(`tensor data has ${d.length} elements but dims [${dims.join(', ')}] need ${n}`);
  return { dtype, dims: [...dims], data: d };
}
