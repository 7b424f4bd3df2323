/**
 * A safe, fast reader and writer for the safetensors format
 * (https://huggingface.co/docs/safetensors): 8 bytes little-endian u64 `N`, `N` bytes of UTF-8
 * JSON header, then the data section that the header's `data_offsets` index into.
 *
 * Reading validates the whole header before a single data byte is read or trusted, never
 * allocates from a number found in the header (the data buffer is sized from the file, after
 * the header has been proven to describe exactly that many bytes), and reads the data
 * section with one buffer allocation. Aligned float32 / int32 / int64 / float64 tensors are
 * views on that buffer (no copy).
 *
 * Writing follows the reference Rust/Python writer byte for byte (tensor order, compact JSON,
 * space padding to 8 bytes), except that `__metadata__` keys are sorted so output is
 * deterministic; files are written atomically (temp file in the same directory, fsync, rename).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { writeFileAtomic } from '../io/atomic.ts';
import { TokentagError } from '../errors.ts';
import type { DType, TensorData } from '../engine/dtype.ts';
import { bfloat16BytesToFloat32, float16BytesToFloat32 } from './half.ts';

/** The reference implementation's limit on the JSON header (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** The safetensors element types this module reads. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each supported safetensors dtype. */
export const SAFETENSORS_DTYPE_SIZE: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Valid safetensors dtypes that tokentag does not load (named in the error, unlike typos). */
const KNOWN_UNSUPPORTED = new Set([
  'U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64', 'C128',
]);

/**
 * The reference writer's dtype order (Rust `Dtype` enum order, which increases with
 * alignment). Tensors are written by descending rank, then by name.
 */
const DTYPE_RANK: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 5,
  F16: 7,
  BF16: 8,
  I32: 9,
  F32: 11,
  F64: 12,
  I64: 13,
};

/** A checkpoint file that cannot be read or written: names the file, the tensor (if any) and what was expected. */
export class CheckpointError extends TokentagError {
  override name = 'CheckpointError';
  constructor(
    readonly file: string,
    readonly tensor: string | undefined,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${tensor === undefined ? '' : `tensor ${JSON.stringify(tensor)}: `}${detail}`, options);
  }
}

/** What the header says about one tensor; offsets are relative to the start of the data section. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A validated header. `entries` are in data-offset order. */
export interface SafetensorsHeader {
  /** N, the JSON header length in bytes. */
  readonly headerLength: number;
  /** Byte position of the data section in the file (8 + N). */
  readonly dataStart: number;
  /** Length of the data section in bytes. */
  readonly dataLength: number;
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata: Record<string, string>;
}

/** The element types tensors come back as. */
export type LoadedDType = 'float32' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';
export type LoadedTensor = TensorData<'float32'> | TensorData<'float64'> | TensorData<'int64'> | TensorData<'int32'> | TensorData<'int8'> | TensorData<'uint8'> | TensorData<'bool'>;

export interface Safetensors {
  /** Tensors in file (data-offset) order. */
  readonly tensors: Map<string, LoadedTensor>;
  /** The header's `__metadata__` (empty object when absent). */
  readonly metadata: Record<string, string>;
}

export interface ReadOptions {
  /**
   * What F64 tensors become: `'float32'` (default; rounded to nearest, like `tensor.float()`)
   * or `'float64'` (kept exactly, a view when aligned).
   */
  readonly float64?: 'float32' | 'float64';
}

// ---------------------------------------------------------------------------------------------
// Header validation
// ---------------------------------------------------------------------------------------------

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Finds duplicate keys in any object of a JSON text that `JSON.parse` already accepted
 * (JSON.parse silently keeps the last one). Iterative: deep nesting cannot overflow the stack.
 */
function findDuplicateKey(text: string): { tensor: string | undefined; key: string } | undefined {
  interface Frame {
    readonly isObject: boolean;
    readonly keys: Set<string> | undefined;
    expectKey: boolean;
    lastKey: string | undefined;
  }
  const stack: Frame[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push({ isObject: true, keys: new Set(), expectKey: true, lastKey: undefined });
    } else if (c === 0x5b /* [ */) {
      stack.push({ isObject: false, keys: undefined, expectKey: false, lastKey: undefined });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top !== undefined && top.isObject) top.expectKey = true;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x5c /* \ */) j += 2;
        else if (d === 0x22) break;
        else j++;
      }
      const top = stack[stack.length - 1];
      if (top !== undefined && top.isObject && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys!.has(key)) {
          const outer = stack.length >= 2 ? stack[stack.length - 2].lastKey : undefined;
          return { tensor: stack.length === 1 ? undefined : outer, key };
        }
        top.keys!.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}

function checkNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Validates the JSON header of a safetensors file whose data section has `dataLength` bytes.
 * Throws CheckpointError naming `file`, the tensor and what was expected.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  dataLength: number,
  file: string,
): { entries: SafetensorsEntry[]; metadata: Record<string, string> } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new CheckpointError(file, undefined, 'the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(file, undefined, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) {
    throw new CheckpointError(file, undefined, `the header must be a JSON object, found ${describe(json)}`);
  }
  const dup = findDuplicateKey(text);
  if (dup !== undefined) {
    throw new CheckpointError(
      file,
      dup.tensor,
      dup.tensor === undefined
        ? `the header names ${JSON.stringify(dup.key)} more than once`
        : `the field ${JSON.stringify(dup.key)} appears more than once`,
    );
  }

  let metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const name of Object.keys(json)) {
    const value = json[name];
    if (name === '__metadata__') {
      if (!isPlainObject(value)) {
        throw new CheckpointError(file, undefined, `"__metadata__" must be an object of strings, found ${describe(value)}`);
      }
      const pairs: [string, string][] = [];
      for (const k of Object.keys(value)) {
        const v = value[k];
        if (typeof v !== 'string') {
          throw new CheckpointError(file, undefined, `"__metadata__" must map strings to strings; key ${JSON.stringify(k)} holds ${describe(v)}`);
        }
        pairs.push([k, v]);
      }
      metadata = Object.fromEntries(pairs);
      continue;
    }
    if (!isPlainObject(value)) {
      throw new CheckpointError(file, name, `expected an object {"dtype", "shape", "data_offsets"}, found ${describe(value)}`);
    }
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string') {
      throw new CheckpointError(file, name, `"dtype" must be a string, found ${describe(dtype)}`);
    }
    if (!Object.hasOwn(SAFETENSORS_DTYPE_SIZE, dtype)) {
      const supported = Object.keys(SAFETENSORS_DTYPE_SIZE).join(', ');
      throw new CheckpointError(
        file,
        name,
        KNOWN_UNSUPPORTED.has(dtype)
          ? `dtype ${dtype} is not supported by tokentag (supported: ${supported})`
          : `unknown dtype ${JSON.stringify(dtype)} (expected one of ${supported})`,
      );
    }
    const dt = dtype as SafetensorsDtype;
    if (!Array.isArray(shape)) {
      throw new CheckpointError(file, name, `"shape" must be an array of non-negative integers, found ${describe(shape)}`);
    }
    for (const d of shape) {
      if (!checkNonNegativeInteger(d)) {
        throw new CheckpointError(file, name, `"shape" must hold non-negative integers, found ${describe(d)} in [${shape.map(String).join(', ')}]`);
      }
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !checkNonNegativeInteger(offsets[0]) || !checkNonNegativeInteger(offsets[1])) {
      throw new CheckpointError(
        file,
        name,
        `"data_offsets" must be two non-negative integers [begin, end], found ${Array.isArray(offsets) ? JSON.stringify(offsets).slice(0, 80) : describe(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) {
      throw new CheckpointError(file, name, `"data_offsets" [${begin}, ${end}] end before they begin`);
    }
    if (end > dataLength) {
      throw new CheckpointError(file, name, `"data_offsets" [${begin}, ${end}] run past the data section, which has ${dataLength} bytes`);
    }
    // Exact size check in BigInt: a product of header numbers can exceed 2^53.
    let elements = 1n;
    for (const d of shape as number[]) elements *= BigInt(d);
    const needed = elements * BigInt(SAFETENSORS_DTYPE_SIZE[dt]);
    if (needed !== BigInt(end - begin)) {
      throw new CheckpointError(
        file,
        name,
        `shape [${(shape as number[]).join(', ')}] of ${dt} needs ${needed} bytes but "data_offsets" [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dt, shape: [...(shape as number[])], begin, end });
  }

  // The tensors must tile the data section exactly: no overlap, no gap, nothing left over.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of entries) {
    if (e.begin < covered) {
      throw new CheckpointError(
        file,
        e.name,
        `"data_offsets" [${e.begin}, ${e.end}] overlap tensor ${JSON.stringify(previous!.name)} at [${previous!.begin}, ${previous!.end}]`,
      );
    }
    if (e.begin > covered) {
      throw new CheckpointError(
        file,
        e.name,
        `"data_offsets" [${e.begin}, ${e.end}] leave a gap: bytes [${covered}, ${e.begin}) of the data section belong to no tensor (tensors must be contiguous)`,
      );
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    throw new CheckpointError(
      file,
      undefined,
      `the data section has ${dataLength} bytes but the tensors cover only ${covered} (the last data_offsets must end the file)`,
    );
  }
  return { entries, metadata };
}

/** Reads and validates the length prefix; returns N. */
function headerLength(prefix: Uint8Array, fileLength: number, file: string): number {
  if (fileLength < 8) {
    throw new CheckpointError(file, undefined, `the file has ${fileLength} bytes; a safetensors file starts with an 8-byte header length`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(file, undefined, `the header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file, or corrupted)`);
  }
  if (n + 8n > BigInt(fileLength)) {
    throw new CheckpointError(file, undefined, `the header length ${n} runs past the end of the file (${fileLength} bytes; truncated?)`);
  }
  return Number(n);
}

// ---------------------------------------------------------------------------------------------
// Materialising tensors
// ---------------------------------------------------------------------------------------------

type ViewCtor<T> = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; new (length: number): T; BYTES_PER_ELEMENT: number };

/** A typed view on `bytes` when aligned, otherwise an aligned copy. */
function viewOrCopy<T extends ArrayBufferView>(Ctor: ViewCtor<T>, bytes: Uint8Array): T {
  const count = bytes.byteLength / Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count);
  const out = new Ctor(count);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  return out;
}

function materialise(e: SafetensorsEntry, data: Uint8Array, file: string, options: ReadOptions): LoadedTensor {
  const bytes = data.subarray(e.begin, e.end);
  const dims = e.shape;
  switch (e.dtype) {
    case 'F32':
      return { dtype: 'float32', dims, data: viewOrCopy(Float32Array, bytes) };
    case 'F16':
      return { dtype: 'float32', dims, data: float16BytesToFloat32(bytes) };
    case 'BF16':
      return { dtype: 'float32', dims, data: bfloat16BytesToFloat32(bytes) };
    case 'F64': {
      const f64 = viewOrCopy(Float64Array, bytes);
      return options.float64 === 'float64' ? { dtype: 'float64', dims, data: f64 } : { dtype: 'float32', dims, data: Float32Array.from(f64) };
    }
    case 'I64':
      return { dtype: 'int64', dims, data: viewOrCopy(BigInt64Array, bytes) };
    case 'I32':
      return { dtype: 'int32', dims, data: viewOrCopy(Int32Array, bytes) };
    case 'I16':
      return { dtype: 'int32', dims, data: Int32Array.from(viewOrCopy(Int16Array, bytes)) };
    case 'I8':
      return { dtype: 'int8', dims, data: new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    case 'U8':
      return { dtype: 'uint8', dims, data: bytes };
    case 'BOOL': {
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] > 1) throw new CheckpointError(file, e.name, `BOOL element ${i} is the byte ${bytes[i]}; expected 0 or 1`);
      }
      return { dtype: 'bool', dims, data: bytes };
    }
  }
}

/** Whether typed arrays are little-endian here (asked of the typed arrays themselves, so it holds in browsers too). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function checkHostEndianness(file: string): void {
  if (!LITTLE_ENDIAN) throw new CheckpointError(file, undefined, 'safetensors data is little-endian; big-endian hosts are not supported');
}

/**
 * Parses a whole safetensors file held in memory. Tensors that need no conversion are views
 * on `bytes` (they share memory with it); `file` is only used in error messages.
 */
export function parseSafetensors(bytes: Uint8Array, file = '<memory>', options: ReadOptions = {}): Safetensors {
  checkHostEndianness(file);
  const n = headerLength(bytes.subarray(0, 8), bytes.length, file);
  const dataStart = 8 + n;
  const { entries, metadata } = parseSafetensorsHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, file);
  const data = bytes.subarray(dataStart);
  const tensors = new Map<string, LoadedTensor>();
  for (const e of entries) tensors.set(e.name, materialise(e, data, file, options));
  return { tensors, metadata };
}

/** Reads exactly `target.length` bytes at `position`, or throws. */
function readFully(fd: number, target: Uint8Array, position: number, file: string): void {
  const CHUNK = 1 << 30; // readSync moves at most 2 GiB per call
  let done = 0;
  while (done < target.length) {
    const want = Math.min(CHUNK, target.length - done);
    const got = fs.readSync(fd, target, done, want, position + done);
    if (got === 0) {
      throw new CheckpointError(file, undefined, `the file ended after ${position + done} bytes while reading (was it truncated while being read?)`);
    }
    done += got;
  }
}

function openForRead(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new CheckpointError(file, undefined, `cannot open: ${(e as Error).message}`);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new CheckpointError(file, undefined, 'not a regular file');
  }
  return { fd, size: st.size };
}

function readHeaderFromFd(fd: number, size: number, file: string): SafetensorsHeader {
  const prefix = new Uint8Array(8);
  if (size >= 8) readFully(fd, prefix, 0, file);
  const n = headerLength(prefix, size, file);
  const headerBytes = new Uint8Array(n);
  readFully(fd, headerBytes, 8, file);
  const dataLength = size - 8 - n;
  const { entries, metadata } = parseSafetensorsHeader(headerBytes, dataLength, file);
  return { headerLength: n, dataStart: 8 + n, dataLength, entries, metadata };
}

/** Reads and validates only the header of a safetensors file (no tensor data is read). */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const { fd, size } = openForRead(file);
  try {
    return readHeaderFromFd(fd, size, file);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads a safetensors file. The header is read and validated first; then the data section is
 * read with one allocation of exactly its size, and tensors are views on it where possible
 * (see `docs/safetensors.md` for which dtypes are copied or converted).
 */
export function readSafetensors(file: string, options: ReadOptions = {}): Safetensors {
  checkHostEndianness(file);
  const { fd, size } = openForRead(file);
  try {
    const header = readHeaderFromFd(fd, size, file);
    if (header.dataLength > bufferConstants.MAX_LENGTH) {
      throw new CheckpointError(file, undefined, `the data section (${header.dataLength} bytes) is larger than one buffer can hold (${bufferConstants.MAX_LENGTH}); save the checkpoint in shards`);
    }
    // allocUnsafeSlow: a dedicated ArrayBuffer starting at offset 0, not zero-filled (we overwrite all of it).
    const buf = Buffer.allocUnsafeSlow(header.dataLength);
    const data = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    readFully(fd, data, header.dataStart, file);
    const tensors = new Map<string, LoadedTensor>();
    for (const e of header.entries) tensors.set(e.name, materialise(e, data, file, options));
    return { tensors, metadata: header.metadata };
  } finally {
    fs.closeSync(fd);
  }
}

async function readFullyAsync(fh: fs.promises.FileHandle, target: Uint8Array, position: number, file: string): Promise<void> {
  const CHUNK = 1 << 30;
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await fh.read(target, done, Math.min(CHUNK, target.length - done), position + done);
    if (bytesRead === 0) {
      throw new CheckpointError(file, undefined, `the file ended after ${position + done} bytes while reading (was it truncated while being read?)`);
    }
    done += bytesRead;
  }
}

/**
 * The same as readSafetensors, without blocking the event loop: the data section is read by
 * up to four parallel reads into the one buffer (faster where faulting in fresh memory is
 * the bottleneck, as it usually is for a file in the page cache).
 */
export async function readSafetensorsAsync(file: string, options: ReadOptions = {}): Promise<Safetensors> {
  checkHostEndianness(file);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (e) {
    throw new CheckpointError(file, undefined, `cannot open: ${(e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new CheckpointError(file, undefined, 'not a regular file');
    const size = st.size;
    const prefix = new Uint8Array(8);
    if (size >= 8) await readFullyAsync(fh, prefix, 0, file);
    const n = headerLength(prefix, size, file);
    const headerBytes = new Uint8Array(n);
    await readFullyAsync(fh, headerBytes, 8, file);
    const dataLength = size - 8 - n;
    const { entries, metadata } = parseSafetensorsHeader(headerBytes, dataLength, file);
    if (dataLength > bufferConstants.MAX_LENGTH) {
      throw new CheckpointError(file, undefined, `the data section (${dataLength} bytes) is larger than one buffer can hold (${bufferConstants.MAX_LENGTH}); save the checkpoint in shards`);
    }
    const buf = Buffer.allocUnsafeSlow(dataLength);
    const data = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    const MIN_PART = 32 << 20;
    const parts = Math.max(1, Math.min(4, Math.floor(dataLength / MIN_PART)));
    const per = Math.ceil(dataLength / parts / 4096) * 4096;
    const reads: Promise<void>[] = [];
    for (let s = 0; s < dataLength; s += per) {
      reads.push(readFullyAsync(fh, data.subarray(s, Math.min(dataLength, s + per)), 8 + n + s, file));
    }
    // Wait for every read before closing the handle; then report the first failure.
    for (const r of await Promise.allSettled(reads)) if (r.status === 'rejected') throw r.reason;
    const tensors = new Map<string, LoadedTensor>();
    for (const e of entries) tensors.set(e.name, materialise(e, data, file, options));
    return { tensors, metadata };
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** Tensors to save: a Map or a plain object, name → tensor. */
export type TensorsToSave = ReadonlyMap<string, TensorData> | Readonly<Record<string, TensorData>>;

const WRITE_DTYPE: Readonly<Record<DType, SafetensorsDtype>> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  int64: 'I64',
  int32: 'I32',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

interface Planned {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly byteLength: number;
  readonly source: TensorData;
}

// TextEncoder rather than Buffer: serialising also runs in a browser tab (web/job.ts).
const utf8 = new TextEncoder();

/** Bytewise order of the UTF-8 encodings (the reference writer's order of names). */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Validates the tensors and lays out the header; data is not touched beyond `.length`. */
function plan(tensors: TensorsToSave, metadata: Readonly<Record<string, string>> | undefined, file: string): { header: Uint8Array; planned: Planned[] } {
  const items: [string, TensorData][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, TensorData>);
  const planned: Planned[] = [];
  for (const [name, t] of items) {
    if (name === '__metadata__') throw new CheckpointError(file, name, 'this name is reserved for the metadata');
    if (t === null || typeof t !== 'object') throw new CheckpointError(file, name, `expected a tensor {dtype, dims, data}, found ${describe(t)}`);
    const dtype = WRITE_DTYPE[t.dtype];
    if (dtype === undefined) throw new CheckpointError(file, name, `cannot save dtype ${String(t.dtype)}`);
    let count = 1;
    for (const d of t.dims) {
      if (!checkNonNegativeInteger(d)) throw new CheckpointError(file, name, `dims must be non-negative integers, found [${t.dims.join(', ')}]`);
      count *= d;
    }
    const data = t.data;
    if (data.length !== count) {
      throw new CheckpointError(file, name, `dims [${t.dims.join(', ')}] need ${count} elements but the data has ${data.length}`);
    }
    planned.push({ name, dtype, byteLength: data.byteLength, source: t });
  }
  // The reference writer's order: descending dtype alignment, then name (bytewise).
  planned.sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareUtf8(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    const keys = Object.keys(metadata).sort(compareUtf8);
    const fields: string[] = [];
    for (const k of keys) {
      const v = metadata[k];
      if (typeof v !== 'string') throw new CheckpointError(file, undefined, `metadata must map strings to strings; key ${JSON.stringify(k)} holds ${describe(v)}`);
      fields.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    parts.push(`"__metadata__":{${fields.join(',')}}`);
  }
  let offset = 0;
  for (const p of planned) {
    const shape = p.source.dims.join(',');
    parts.push(`${JSON.stringify(p.name)}:{"dtype":"${p.dtype}","shape":[${shape}],"data_offsets":[${offset},${offset + p.byteLength}]}`);
    offset += p.byteLength;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const padded = (json.length + 7) & ~7;
  const header = new Uint8Array(8 + padded);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.length);
  if (padded > MAX_HEADER_BYTES) throw new CheckpointError(file, undefined, `the header would be ${padded} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers enforce`);
  return { header, planned };
}

/** The bytes of one planned tensor, read from its source now (no copy). */
function tensorBytes(p: Planned, file: string): Uint8Array {
  const data = p.source.data;
  if (data.byteLength !== p.byteLength) throw new CheckpointError(file, p.name, 'the tensor changed size while it was being saved');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Serialises tensors to safetensors bytes, as chunks (the header, then one chunk per tensor
 * viewing the tensor's own memory: nothing is copied). Concatenated they form the file.
 */
export function serializeSafetensors(tensors: TensorsToSave, metadata?: Readonly<Record<string, string>>): Uint8Array[] {
  checkHostEndianness('<memory>');
  const { header, planned } = plan(tensors, metadata, '<memory>');
  const chunks = [header];
  for (const p of planned) if (p.byteLength > 0) chunks.push(tensorBytes(p, '<memory>'));
  return chunks;
}

/**
 * Writes a safetensors file atomically: the bytes go to a temporary file in the same
 * directory, which is fsynced and then renamed over `file` (and the directory fsynced). If
 * anything fails, the temporary file is removed and an existing `file` is left untouched.
 */
export function writeSafetensors(file: string, tensors: TensorsToSave, metadata?: Readonly<Record<string, string>>): void {
  checkHostEndianness(file);
  const { header, planned } = plan(tensors, metadata, file);
  try {
    writeFileAtomic(file, (function* () {
      yield header;
      for (const p of planned) yield tensorBytes(p, file);
    })());
  } catch (e) {
    if (e instanceof TokentagError) throw e;
    throw new CheckpointError(file, undefined, `cannot write: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Sharded checkpoints
// ---------------------------------------------------------------------------------------------

/** The index file name Hugging Face uses for sharded safetensors checkpoints. */
export const SAFETENSORS_INDEX_NAME = 'model.safetensors.index.json';

export interface ShardedSafetensors {
  /** Every tensor listed in the index's weight_map, in index order. */
  readonly tensors: Map<string, LoadedTensor>;
  /** The index's `metadata` object (e.g. `total_size`), as found. */
  readonly metadata: Record<string, unknown>;
  /** Each shard's own `__metadata__`, by shard file name. */
  readonly shardMetadata: Record<string, Record<string, string>>;
}

/** Rejects shard names that could reach outside the checkpoint directory. */
function checkShardName(name: string, dir: string, indexFile: string, tensor: string): string {
  const bad = (why: string): never => {
    throw new CheckpointError(indexFile, tensor, `shard file ${JSON.stringify(name)} ${why}`);
  };
  if (name.length === 0) bad('is empty');
  if (name.includes('\0')) bad('contains a NUL byte');
  if (path.posix.isAbsolute(name) || path.win32.isAbsolute(name)) bad('is an absolute path; shards must be inside the checkpoint directory');
  if (name.split(/[\\/]/).includes('..')) bad('contains ".."; shards must be inside the checkpoint directory');
  const resolved = path.resolve(dir, name);
  const rel = path.relative(dir, resolved);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) bad('is outside the checkpoint directory');
  return resolved;
}

/**
 * Reads a sharded checkpoint: `dirOrIndex` is the checkpoint directory (holding
 * `model.safetensors.index.json`) or the index file itself. Validates the index, that no
 * shard path leaves the directory, and that every tensor of the weight_map is in its shard.
 * Tensors a shard holds but the weight_map does not list are not returned.
 */
export function readShardedSafetensors(dirOrIndex: string, options: ReadOptions = {}): ShardedSafetensors {
  let indexFile = dirOrIndex;
  try {
    if (fs.statSync(dirOrIndex).isDirectory()) indexFile = path.join(dirOrIndex, SAFETENSORS_INDEX_NAME);
  } catch {
    /* reported below when the index cannot be opened */
  }
  const dir = path.resolve(path.dirname(indexFile));
  const { fd, size } = openForRead(indexFile);
  let text: string;
  try {
    if (size > MAX_HEADER_BYTES) throw new CheckpointError(indexFile, undefined, `the index is ${size} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
    const bytes = new Uint8Array(size);
    readFully(fd, bytes, 0, indexFile);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CheckpointError(indexFile, undefined, 'the index is not valid UTF-8');
    }
  } finally {
    fs.closeSync(fd);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(indexFile, undefined, `the index is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) throw new CheckpointError(indexFile, undefined, `the index must be a JSON object, found ${describe(json)}`);
  const weightMap = json.weight_map;
  if (!isPlainObject(weightMap)) throw new CheckpointError(indexFile, undefined, `"weight_map" must be an object of tensor name → shard file, found ${describe(weightMap)}`);
  const meta = json.metadata;
  if (meta !== undefined && !isPlainObject(meta)) throw new CheckpointError(indexFile, undefined, `"metadata" must be an object, found ${describe(meta)}`);
  const dup = findDuplicateKey(text);
  if (dup !== undefined && dup.tensor === 'weight_map') throw new CheckpointError(indexFile, dup.key, 'is listed more than once in "weight_map"');

  const byShard = new Map<string, { resolved: string; names: string[] }>();
  for (const tensor of Object.keys(weightMap)) {
    const shard = weightMap[tensor];
    if (typeof shard !== 'string') throw new CheckpointError(indexFile, tensor, `the shard must be a file name, found ${describe(shard)}`);
    const resolved = checkShardName(shard, dir, indexFile, tensor);
    let group = byShard.get(shard);
    if (group === undefined) byShard.set(shard, (group = { resolved, names: [] }));
    group.names.push(tensor);
  }

  const found = new Map<string, LoadedTensor>();
  const shardMetadata: Record<string, Record<string, string>> = {};
  for (const [shard, { resolved, names }] of byShard) {
    if (!fs.existsSync(resolved)) throw new CheckpointError(indexFile, names[0], `shard file ${JSON.stringify(shard)} does not exist`);
    const loaded = readSafetensors(resolved, options);
    shardMetadata[shard] = loaded.metadata;
    for (const name of names) {
      const t = loaded.tensors.get(name);
      if (t === undefined) throw new CheckpointError(indexFile, name, `the weight_map puts it in ${JSON.stringify(shard)}, which does not contain it`);
      found.set(name, t);
    }
  }
  const tensors = new Map<string, LoadedTensor>();
  for (const name of Object.keys(weightMap)) tensors.set(name, found.get(name)!);
  return { tensors, metadata: (meta as Record<string, unknown> | undefined) ?? {}, shardMetadata };
}
