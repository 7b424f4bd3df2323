/**
 * A safe reader for PyTorch `pytorch_model.bin` checkpoints: a state dict written by
 * `torch.save`, in the zip format (torch ≥ 1.6, the default) or the legacy format.
 *
 * Both formats are a Python pickle plus raw tensor storages. Python's unpickler can call any
 * function a file names, which is how malicious checkpoints run code. This module never runs
 * anything: it interprets the pickle with its own small machine that knows only the opcodes a
 * state dict needs, and resolves global names against a short allow-list of tensor-rebuild
 * functions and storage/dtype names, each implemented here by hand. Any other global
 * (`posix.system`, `builtins.eval`, …), any opcode that constructs arbitrary objects (INST,
 * OBJ, NEWOBJ) and any opcode it does not know makes it refuse the file with a
 * `CheckpointError`.
 *
 * Every size is bounded (stack, memo, marks, string lengths against the remaining bytes,
 * tensor views against their storage's byte length, total bytes materialised), so a crafted
 * file cannot exhaust memory or make the reader loop. See `docs/pytorch-bin.md`.
 */
import * as fs from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { endianness } from 'node:os';
import { CheckpointError, type LoadedTensor, type ReadOptions } from './safetensors.ts';
import { bfloat16BytesToFloat32, float16BytesToFloat32 } from './half.ts';
import { looksLikeZip, openZip, type ZipArchive } from './zip.ts';

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** Limits that bound the work and memory a crafted pickle can cause. */
export const PICKLE_LIMITS = {
  /** Largest pickle (data.pkl) read, in bytes. A BERT-base state dict's is about 30 KB. */
  maxPickleBytes: 256 << 20,
  /** Most values on the stack at once (all marks included). */
  maxStack: 1_000_000,
  /** Most open MARKs. */
  maxMarks: 100_000,
  /** Most memo entries. */
  maxMemo: 1_000_000,
  /** Longest GLOBAL module or name line, in bytes. */
  maxGlobalLine: 1024,
  /** Longest LONG1/LONG4 integer, in bytes. */
  maxLongBytes: 64,
  /** Most dimensions a tensor may have. */
  maxDims: 64,
  /**
   * Tensors may share storages (tied weights, views), so they can add up to more bytes than the
   * storages hold; they may not add up to more than this many times the storage bytes (plus
   * `extraMaterialisedBytes`).
   */
  materialiseFactor: 4,
  extraMaterialisedBytes: 64 << 20,
} as const;

// ---------------------------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------------------------

/** The tensor element types this reader loads, by torch name. */
export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const DTYPE_SIZE: Readonly<Record<TorchDtype, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Legacy typed storage class names (`torch.FloatStorage`, …) → element type. */
const STORAGE_TYPES: Readonly<Record<string, TorchDtype>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** Storage classes PyTorch has that hold element types tokentag does not load. */
const UNSUPPORTED_STORAGE_TYPES: Readonly<Record<string, string>> = {
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8 (quantized)',
  QUInt8Storage: 'quint8 (quantized)',
  QInt32Storage: 'qint32 (quantized)',
  QUInt4x2Storage: 'quint4x2 (quantized)',
  QUInt2x4Storage: 'quint2x4 (quantized)',
};

/** `torch.<name>` dtype objects (as `_rebuild_tensor_v3` receives them) → element type. */
const DTYPE_NAMES: Readonly<Record<string, TorchDtype>> = {
  float32: 'float32',
  float: 'float32',
  float64: 'float64',
  double: 'float64',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

const UNSUPPORTED_DTYPE_NAMES = new Set([
  'uint16', 'uint32', 'uint64', 'complex32', 'complex64', 'complex128', 'cfloat', 'cdouble', 'chalf',
  'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'float8_e8m0fnu', 'float4_e2m1fn_x2',
  'qint8', 'quint8', 'qint32', 'quint4x2', 'quint2x4', 'bits8', 'bits16', 'bits1x8', 'bits2x4', 'bits4x2',
]);

// ---------------------------------------------------------------------------------------------
// The Python values the machine builds
// ---------------------------------------------------------------------------------------------

class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}
class PyList {
  constructor(readonly items: PyValue[]) {}
}
type DictKey = string | number | bigint | boolean | null;
class PyDict {
  readonly map = new Map<DictKey, PyValue>();
  /** The BUILD state of an OrderedDict (a state dict's `_metadata`), kept but unused. */
  state: PyValue | undefined;
  constructor(readonly ordered: boolean) {}
}
class PyFloat {
  constructor(readonly value: number) {}
}
class PyBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** What an allowed global name stands for. */
type GlobalMeaning =
  | { readonly kind: 'OrderedDict' }
  | { readonly kind: 'rebuild_tensor'; readonly version: 1 | 2 | 3 }
  | { readonly kind: 'rebuild_parameter'; readonly withState: boolean }
  | { readonly kind: 'rebuild_from_type_v2' }
  | { readonly kind: 'tensor_class' }
  | { readonly kind: 'Size' }
  | { readonly kind: 'storage_type'; readonly dtype: TorchDtype | 'untyped' }
  | { readonly kind: 'dtype'; readonly dtype: TorchDtype };

class PyGlobal {
  constructor(
    readonly qualified: string,
    readonly meaning: GlobalMeaning,
  ) {}
}

/** A storage named by a persistent id; `bytes` is filled in when its data is found. */
class StorageRef {
  bytes: Uint8Array | undefined;
  constructor(
    readonly key: string,
    /** 'untyped' storages (torch.UntypedStorage) are plain bytes: numel counts bytes. */
    readonly dtype: TorchDtype | 'untyped',
    readonly numel: number,
    /** Legacy-format storage views: this storage is `numel` elements of `view.root` from `view.offset`. */
    readonly view?: { readonly root: StorageRef; readonly offset: number },
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly dtype: TorchDtype,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

type PyValue = null | boolean | number | bigint | string | PyBytes | PyFloat | PyTuple | PyList | PyDict | PyGlobal | StorageRef | TensorRef;

/** A short description of a value for error messages (never recursive). */
function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return `the int ${v}`;
  if (typeof v === 'string') return `the str ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v instanceof PyBytes) return `a bytes object of length ${v.bytes.length}`;
  if (v instanceof PyFloat) return `the float ${v.value}`;
  if (v instanceof PyTuple) return `a tuple of length ${v.items.length}`;
  if (v instanceof PyList) return `a list of length ${v.items.length}`;
  if (v instanceof PyDict) return `a ${v.ordered ? 'OrderedDict' : 'dict'} of ${v.map.size} items`;
  if (v instanceof PyGlobal) return v.qualified;
  if (v instanceof StorageRef) return `a storage (key ${JSON.stringify(v.key)})`;
  return `a tensor of shape [${v.size.join(', ')}]`;
}

/** Prints a name from the file safely (control characters and the like escaped). */
function printable(s: string): string {
  const clipped = s.length > 120 ? `${s.slice(0, 120)}…` : s;
  return /^[\x21-\x7e]*$/.test(clipped) ? clipped : JSON.stringify(clipped);
}

// ---------------------------------------------------------------------------------------------
// The allow-list
// ---------------------------------------------------------------------------------------------

const ALLOWED_GLOBALS: ReadonlyMap<string, GlobalMeaning> = (() => {
  const m = new Map<string, GlobalMeaning>([
    ['collections.OrderedDict', { kind: 'OrderedDict' }],
    ['torch._utils._rebuild_tensor', { kind: 'rebuild_tensor', version: 1 }],
    ['torch._utils._rebuild_tensor_v2', { kind: 'rebuild_tensor', version: 2 }],
    ['torch._utils._rebuild_tensor_v3', { kind: 'rebuild_tensor', version: 3 }],
    ['torch._utils._rebuild_parameter', { kind: 'rebuild_parameter', withState: false }],
    ['torch._utils._rebuild_parameter_with_state', { kind: 'rebuild_parameter', withState: true }],
    ['torch._tensor._rebuild_from_type_v2', { kind: 'rebuild_from_type_v2' }],
    ['torch._tensor.Tensor', { kind: 'tensor_class' }],
    ['torch.Tensor', { kind: 'tensor_class' }],
    ['torch.nn.parameter.Parameter', { kind: 'tensor_class' }],
    ['torch.Size', { kind: 'Size' }],
    ['torch.UntypedStorage', { kind: 'storage_type', dtype: 'untyped' }],
    ['torch.storage.UntypedStorage', { kind: 'storage_type', dtype: 'untyped' }],
    ['torch._UntypedStorage', { kind: 'storage_type', dtype: 'untyped' }],
  ]);
  for (const [name, dtype] of Object.entries(STORAGE_TYPES)) {
    m.set(`torch.${name}`, { kind: 'storage_type', dtype });
    m.set(`torch.cuda.${name}`, { kind: 'storage_type', dtype }); // torch < 1.12 named GPU storages so
  }
  for (const [name, dtype] of Object.entries(DTYPE_NAMES)) m.set(`torch.${name}`, { kind: 'dtype', dtype });
  return m;
})();

/** The error for a global outside the allow-list, worded for what it is. */
function refuseGlobal(file: string, where: string, qualified: string): CheckpointError {
  const dot = qualified.lastIndexOf('.');
  const module = dot < 0 ? qualified : qualified.slice(0, dot);
  const name = dot < 0 ? '' : qualified.slice(dot + 1);
  if (module === 'torch' || module === 'torch.cuda') {
    if (Object.hasOwn(UNSUPPORTED_STORAGE_TYPES, name)) {
      return new CheckpointError(file, undefined, `${where}: it holds ${UNSUPPORTED_STORAGE_TYPES[name]} tensors (${qualified}), which tokentag does not load`);
    }
    if (UNSUPPORTED_DTYPE_NAMES.has(name)) {
      return new CheckpointError(file, undefined, `${where}: it holds tensors of dtype ${qualified}, which tokentag does not load`);
    }
  }
  if (qualified.startsWith('__torch__.')) {
    return new CheckpointError(file, undefined, `${where}: it refers to the TorchScript class ${printable(qualified)}; this looks like a torch.jit.save archive, not a torch.save state dict`);
  }
  return new CheckpointError(
    file,
    undefined,
    `refusing to load: it calls ${printable(qualified)}, which is not a tensor-rebuild function (${where}). ` +
      'A state dict never needs it, so the file may be malicious; tokentag loads only torch.save state dicts of tensors',
  );
}

// ---------------------------------------------------------------------------------------------
// The pickle machine
// ---------------------------------------------------------------------------------------------

const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3',
  0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** Opcodes that build arbitrary objects from a class; a state dict never uses them. */
const CONSTRUCTING_OPCODES = new Set([0x69 /* INST */, 0x6f /* OBJ */, 0x81 /* NEWOBJ */, 0x92 /* NEWOBJ_EX */]);

interface MachineContext {
  readonly file: string;
  /** Where the pickle is, for messages: e.g. "archive/data.pkl". */
  readonly source: string;
  /** Resolves a BINPERSID id; undefined when the pickle must not have any. */
  readonly persistentLoad?: (pid: PyValue, at: string) => PyValue;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/**
 * Runs the pickle that starts at `start` in `bytes` up to its STOP. Returns the value and the
 * position after STOP. Throws CheckpointError for anything outside the supported subset.
 */
function runPickle(bytes: Uint8Array, start: number, ctx: MachineContext): { value: PyValue; end: number } {
  const { file, source } = ctx;
  const n = bytes.length;
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = start;
  let opStart = start;

  const where = (): string => `${source}, byte ${opStart - start}`;
  const fail = (detail: string): never => {
    throw new CheckpointError(file, undefined, `${detail} (${where()})`);
  };
  const need = (count: number, what: string): void => {
    if (count > n - pos) fail(`the pickle ends inside ${what} (needs ${count} more bytes, ${n - pos} left; truncated?)`);
  };
  const u8 = (): number => {
    need(1, 'an operand');
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2, 'an operand');
    const v = bytes[pos] | (bytes[pos + 1] << 8);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4, 'an operand');
    const v = (bytes[pos] | (bytes[pos + 1] << 8) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 24)) >>> 0;
    pos += 4;
    return v;
  };
  const i32 = (): number => u32() | 0;
  const u64 = (): number => {
    const lo = u32();
    const hi = u32();
    return hi >= 0x200000 ? Infinity : hi * 0x100000000 + lo;
  };
  const take = (count: number, what: string): Uint8Array => {
    if (!(count <= n - pos)) fail(`${what} of ${count} bytes runs past the end of the pickle (${n - pos} bytes left)`);
    const v = bytes.subarray(pos, pos + count);
    pos += count;
    return v;
  };
  const text = (b: Uint8Array, what: string): string => {
    try {
      return utf8.decode(b);
    } catch {
      return fail(`${what} is not valid UTF-8`);
    }
  };
  const line = (what: string): string => {
    const limit = Math.min(n, pos + PICKLE_LIMITS.maxGlobalLine + 1);
    let e = pos;
    while (e < limit && bytes[e] !== 0x0a) e++;
    if (e >= n) fail(`the pickle ends inside the ${what} of a GLOBAL (truncated?)`);
    if (e >= limit) fail(`the ${what} of a GLOBAL is not a line of at most ${PICKLE_LIMITS.maxGlobalLine} bytes`);
    const s = text(bytes.subarray(pos, e), `the ${what} of a GLOBAL`);
    pos = e + 1;
    return s;
  };

  const push = (v: PyValue): void => {
    if (stack.length >= PICKLE_LIMITS.maxStack) fail(`the pickle stack grows past ${PICKLE_LIMITS.maxStack} values`);
    stack.push(v);
  };
  const floor = (): number => (marks.length === 0 ? 0 : marks[marks.length - 1]);
  const pop = (what: string): PyValue => {
    if (stack.length <= floor()) fail(`${what} needs a value but the stack is empty (or at a MARK)`);
    return stack.pop()!;
  };
  const top = (what: string): PyValue => {
    if (stack.length <= floor()) fail(`${what} needs a value but the stack is empty (or at a MARK)`);
    return stack[stack.length - 1];
  };
  const popMark = (what: string): PyValue[] => {
    if (marks.length === 0) fail(`${what} needs a MARK but there is none`);
    const m = marks.pop()!;
    return stack.splice(m);
  };
  const dictKey = (k: PyValue): DictKey => {
    if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
    return fail(`dict keys must be str, int, bool or None; found ${describe(k)}`);
  };
  const setItems = (target: PyValue, items: PyValue[], what: string): void => {
    if (!(target instanceof PyDict)) fail(`${what} on ${describe(target)}; only dicts are supported`);
    if (items.length % 2 !== 0) fail(`${what} with an odd number (${items.length}) of keys and values`);
    const d = target as PyDict;
    for (let i = 0; i < items.length; i += 2) d.map.set(dictKey(items[i]), items[i + 1]);
  };
  const appendItems = (target: PyValue, items: PyValue[], what: string): void => {
    if (!(target instanceof PyList)) fail(`${what} on ${describe(target)}; only lists are supported`);
    for (const v of items) (target as PyList).items.push(v);
  };
  const memoPut = (index: number): void => {
    if (!memo.has(index) && memo.size >= PICKLE_LIMITS.maxMemo) fail(`the memo grows past ${PICKLE_LIMITS.maxMemo} entries`);
    memo.set(index, top('a memo PUT'));
  };
  const memoGet = (index: number): void => {
    if (!memo.has(index)) fail(`memo key ${index} is read before it was written`);
    push(memo.get(index)!);
  };
  const resolveGlobal = (module: string, name: string): void => {
    const qualified = `${module}.${name}`;
    const meaning = ALLOWED_GLOBALS.get(qualified);
    if (meaning === undefined) throw refuseGlobal(file, where(), qualified);
    push(new PyGlobal(qualified, meaning));
  };
  const smallInt = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return smallInt(v);
  };

  for (;;) {
    opStart = pos;
    if (pos >= n) fail('the pickle ends without a STOP opcode (truncated?)');
    const op = bytes[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        const v = u8();
        if (v > 5) fail(`pickle protocol ${v} is newer than any Python writes (5)`);
        break;
      }
      case 0x95: {
        // FRAME: framing is transparent; only check it lies inside the data.
        const len = u64();
        if (!(len <= n - pos)) fail(`a FRAME of ${len} bytes runs past the end of the pickle`);
        break;
      }
      case 0x2e: {
        // STOP
        if (marks.length !== 0) fail('STOP with a MARK still open');
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack (expected exactly 1)`);
        return { value: stack[0], end: pos };
      }
      case 0x28: // MARK
        if (marks.length >= PICKLE_LIMITS.maxMarks) fail(`more than ${PICKLE_LIMITS.maxMarks} MARKs are open`);
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (stack.length > floor()) stack.pop();
        else popMark('POP');
        break;
      case 0x31: // POP_MARK
        popMark('POP_MARK');
        break;
      case 0x32: // DUP
        push(top('DUP'));
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const len = op === 0x8a ? u8() : u32();
        if (len > PICKLE_LIMITS.maxLongBytes) fail(`an integer of ${len} bytes is larger than any tensor metadata needs`);
        push(long(take(len, 'an integer')));
        break;
      }
      case 0x47: {
        // BINFLOAT (big-endian IEEE 754 double)
        const b = take(8, 'a float');
        push(new PyFloat(new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false)));
        break;
      }
      case 0x58: // BINUNICODE
        push(text(take(u32(), 'a string'), 'a string'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(take(u8(), 'a string'), 'a string'));
        break;
      case 0x8d: // BINUNICODE8
        push(text(take(u64(), 'a string'), 'a string'));
        break;
      case 0x54: // BINSTRING (Python 2 str)
      case 0x55: {
        // SHORT_BINSTRING
        const len = op === 0x54 ? i32() : u8();
        if (len < 0) fail(`a string has negative length ${len}`);
        const b = take(len, 'a string');
        let s: string;
        try {
          s = utf8.decode(b);
        } catch {
          s = latin1.decode(b);
        }
        push(s);
        break;
      }
      case 0x42: // BINBYTES
        push(new PyBytes(take(u32(), 'a bytes object')));
        break;
      case 0x43: // SHORT_BINBYTES
        push(new PyBytes(take(u8(), 'a bytes object')));
        break;
      case 0x8e: // BINBYTES8
        push(new PyBytes(take(u64(), 'a bytes object')));
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        push(new PyTuple(popMark('TUPLE')));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop('TUPLE1')]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop('TUPLE2');
        const a = pop('TUPLE2');
        push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop('TUPLE3');
        const b = pop('TUPLE3');
        const a = pop('TUPLE3');
        push(new PyTuple([a, b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        push(new PyList([]));
        break;
      case 0x6c: // LIST
        push(new PyList(popMark('LIST')));
        break;
      case 0x61: {
        // APPEND
        const v = pop('APPEND');
        appendItems(top('APPEND'), [v], 'APPEND');
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark('APPENDS');
        appendItems(top('APPENDS'), items, 'APPENDS');
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict(false));
        break;
      case 0x64: {
        // DICT
        const items = popMark('DICT');
        const d = new PyDict(false);
        setItems(d, items, 'DICT');
        push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop('SETITEM');
        const k = pop('SETITEM');
        setItems(top('SETITEM'), [k, v], 'SETITEM');
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark('SETITEMS');
        setItems(top('SETITEMS'), items, 'SETITEMS');
        break;
      }
      case 0x71: // BINPUT
        memoPut(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x68: // BINGET
        memoGet(u8());
        break;
      case 0x6a: // LONG_BINGET
        memoGet(u32());
        break;
      case 0x63: {
        // GLOBAL
        const module = line('module');
        const name = line('name');
        resolveGlobal(module, name);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop('STACK_GLOBAL');
        const module = pop('STACK_GLOBAL');
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs a module and a name as strings');
        resolveGlobal(module as string, name as string);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop('REDUCE');
        const fn = pop('REDUCE');
        if (!(fn instanceof PyGlobal)) fail(`REDUCE calls ${describe(fn)}, which is not a function`);
        if (!(args instanceof PyTuple)) fail(`REDUCE needs an argument tuple, found ${describe(args)}`);
        push(call(fn as PyGlobal, (args as PyTuple).items, fail));
        break;
      }
      case 0x62: {
        // BUILD: only an OrderedDict's attribute dict (a state dict's `_metadata`).
        const state = pop('BUILD');
        const target = top('BUILD');
        if (!(target instanceof PyDict && target.ordered)) fail(`BUILD on ${describe(target)}; only an OrderedDict's state is supported`);
        if (!(state instanceof PyDict)) fail(`BUILD of an OrderedDict with ${describe(state)}; expected a dict of attributes`);
        (target as PyDict).state = state;
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop('BINPERSID');
        if (ctx.persistentLoad === undefined) fail('this pickle may not refer to storages (BINPERSID)');
        push(ctx.persistentLoad!(pid, where()));
        break;
      }
      default: {
        const opName = OPCODE_NAMES[op];
        if (CONSTRUCTING_OPCODES.has(op)) {
          let what = '';
          if (op === 0x69) {
            // INST names its class inline: say which.
            try {
              what = ` ${printable(`${line('module')}.${line('name')}`)}`;
            } catch {
              /* name unreadable: keep the generic message */
            }
          }
          fail(`refusing to load: the pickle constructs an object${what} with opcode ${opName}, which a state dict never needs (the file may be malicious)`);
        }
        const hex = `0x${op.toString(16).padStart(2, '0')}`;
        fail(
          opName === undefined
            ? `unknown pickle opcode ${hex}; not a pickle, or corrupted`
            : `unsupported pickle opcode ${opName} (${hex}); tokentag reads the subset torch.save writes`,
        );
      }
    }
  }
}

/** Applies an allowed global to its arguments (REDUCE). */
function call(fn: PyGlobal, args: readonly PyValue[], fail: (detail: string) => never): PyValue {
  const m = fn.meaning;
  const argc = (min: number, max: number): void => {
    if (args.length < min || args.length > max) {
      fail(`${fn.qualified} takes ${min === max ? min : `${min} to ${max}`} arguments, found ${args.length}`);
    }
  };
  switch (m.kind) {
    case 'OrderedDict':
      // torch.save pickles an OrderedDict as OrderedDict() followed by SETITEMS.
      argc(0, 0);
      return new PyDict(true);
    case 'Size': {
      argc(1, 1);
      const src = args[0];
      if (!(src instanceof PyTuple || src instanceof PyList)) return fail(`torch.Size of ${describe(src)}; expected a tuple of ints`);
      if (src.items.length > PICKLE_LIMITS.maxDims) fail(`torch.Size of ${src.items.length} dimensions, over the limit of ${PICKLE_LIMITS.maxDims}`);
      return new PyTuple([...src.items]);
    }
    case 'rebuild_tensor': {
      // v1: (storage, offset, size, stride); v2: + (requires_grad, backward_hooks[, metadata]);
      // v3: + (requires_grad, backward_hooks, dtype[, metadata]).
      if (m.version === 1) argc(4, 4);
      else if (m.version === 2) argc(6, 7);
      else argc(7, 8);
      const storage = args[0];
      if (!(storage instanceof StorageRef)) return fail(`${fn.qualified} needs a storage first, found ${describe(storage)}`);
      const offset = intArg(args[1], `${fn.qualified}: storage_offset`, fail);
      const size = intTuple(args[2], `${fn.qualified}: size`, fail);
      const stride = intTuple(args[3], `${fn.qualified}: stride`, fail);
      if (size.length !== stride.length) fail(`${fn.qualified}: size [${size.join(', ')}] and stride [${stride.join(', ')}] have different lengths`);
      if (m.version >= 2 && typeof args[4] !== 'boolean') fail(`${fn.qualified}: requires_grad must be a bool, found ${describe(args[4])}`);
      if (m.version >= 2 && !(args[5] instanceof PyDict)) fail(`${fn.qualified}: backward_hooks must be a dict, found ${describe(args[5])}`);
      let dtype: TorchDtype;
      if (m.version === 3) {
        const d = args[6];
        if (!(d instanceof PyGlobal && d.meaning.kind === 'dtype')) return fail(`${fn.qualified}: dtype must be a torch dtype, found ${describe(d)}`);
        dtype = d.meaning.dtype;
      } else {
        if (storage.dtype === 'untyped') return fail(`${fn.qualified} of an untyped storage needs a dtype (use _rebuild_tensor_v3)`);
        dtype = storage.dtype;
      }
      const metadata = args[m.version === 2 ? 6 : 7];
      if (metadata !== undefined && metadata !== null && !(metadata instanceof PyDict)) fail(`${fn.qualified}: metadata must be a dict, found ${describe(metadata)}`);
      return new TensorRef(storage, dtype, offset, size, stride);
    }
    case 'rebuild_parameter': {
      if (m.withState) argc(4, 4);
      else argc(3, 3);
      if (!(args[0] instanceof TensorRef)) fail(`${fn.qualified} needs a tensor first, found ${describe(args[0])}`);
      if (typeof args[1] !== 'boolean') fail(`${fn.qualified}: requires_grad must be a bool, found ${describe(args[1])}`);
      return args[0];
    }
    case 'rebuild_from_type_v2': {
      // (func, type, args, state): func(*args) for a plain Tensor or Parameter; state (Python attributes) is ignored.
      argc(4, 4);
      const [inner, type, innerArgs] = args;
      if (!(inner instanceof PyGlobal && (inner.meaning.kind === 'rebuild_tensor' || inner.meaning.kind === 'rebuild_parameter'))) {
        fail(`${fn.qualified} needs a tensor-rebuild function first, found ${describe(inner)}`);
      }
      if (!(type instanceof PyGlobal && type.meaning.kind === 'tensor_class')) fail(`${fn.qualified}: only Tensor and Parameter are supported, found ${describe(type)}`);
      if (!(innerArgs instanceof PyTuple)) fail(`${fn.qualified}: arguments must be a tuple, found ${describe(innerArgs)}`);
      return call(inner as PyGlobal, (innerArgs as PyTuple).items, fail);
    }
    case 'tensor_class':
    case 'storage_type':
    case 'dtype':
      return fail(`the pickle calls ${fn.qualified}, which a state dict never calls`);
  }
}

function intArg(v: PyValue, what: string, fail: (detail: string) => never): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail(`${what} must be a non-negative integer, found ${describe(v)}`);
  return v;
}

function intTuple(v: PyValue, what: string, fail: (detail: string) => never): number[] {
  if (!(v instanceof PyTuple || v instanceof PyList)) return fail(`${what} must be a tuple of integers, found ${describe(v)}`);
  if (v.items.length > PICKLE_LIMITS.maxDims) fail(`${what} has ${v.items.length} dimensions, over the limit of ${PICKLE_LIMITS.maxDims}`);
  return v.items.map((x) => intArg(x, what, fail));
}

// ---------------------------------------------------------------------------------------------
// Storages
// ---------------------------------------------------------------------------------------------

function elementSize(dtype: TorchDtype | 'untyped'): number {
  return dtype === 'untyped' ? 1 : DTYPE_SIZE[dtype];
}

interface PersistentId {
  readonly dtype: TorchDtype | 'untyped';
  readonly key: string;
  readonly numel: number;
  readonly viewMetadata: PyValue | undefined;
}

/** Checks a persistent id `('storage', type, key, location, numel[, view_metadata])`. */
function parsePersistentId(pid: PyValue, legacy: boolean, file: string, at: string): PersistentId {
  const fail = (detail: string): never => {
    throw new CheckpointError(file, undefined, `${detail} (${at})`);
  };
  if (!(pid instanceof PyTuple)) return fail(`a persistent id must be a tuple, found ${describe(pid)}`);
  const items = pid.items;
  const tag = items[0] instanceof PyBytes ? latin1.decode(items[0].bytes) : items[0];
  if (tag === 'module') fail('the file saves a whole module (torch.save(model)); tokentag reads state dicts: save model.state_dict() instead');
  if (tag !== 'storage') fail(`unknown persistent id ${describe(items[0] ?? null)} (expected "storage")`);
  if (items.length !== (legacy ? 6 : 5)) fail(`a storage persistent id has ${items.length} items; expected ${legacy ? 6 : 5}`);
  const type = items[1];
  if (!(type instanceof PyGlobal && type.meaning.kind === 'storage_type')) return fail(`the storage type must be a torch storage class, found ${describe(type)}`);
  const rawKey = items[2];
  const key = rawKey instanceof PyBytes ? latin1.decode(rawKey.bytes) : typeof rawKey === 'number' ? String(rawKey) : rawKey;
  if (typeof key !== 'string' || key.length === 0 || key.length > 256) return fail(`the storage key must be a short string, found ${describe(rawKey)}`);
  const location = items[3];
  if (!(typeof location === 'string' || location instanceof PyBytes)) fail(`the storage location must be a string, found ${describe(location)}`);
  const numel = items[4];
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) return fail(`the storage size must be a non-negative integer, found ${describe(numel)}`);
  return { dtype: type.meaning.dtype, key, numel, viewMetadata: legacy ? items[5] : undefined };
}

// ---------------------------------------------------------------------------------------------
// Materialising tensors
// ---------------------------------------------------------------------------------------------

type RawArray = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
type RawCtor = { new (length: number): RawArray; new (buffer: ArrayBufferLike, byteOffset: number, length: number): RawArray; BYTES_PER_ELEMENT: number };

const RAW_CTOR: Readonly<Record<TorchDtype, RawCtor>> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/**
 * `bytes` as elements of `dtype`: a view when aligned and little-endian (unless `copy`), else an
 * aligned copy, byte-swapped when the data is big-endian.
 */
function rawElements(bytes: Uint8Array, dtype: TorchDtype, littleEndian: boolean, copy: boolean): RawArray {
  const Ctor = RAW_CTOR[dtype];
  const size = Ctor.BYTES_PER_ELEMENT;
  const count = Math.floor(bytes.length / size);
  if (!copy && littleEndian && bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count);
  const out = new Ctor(count);
  const o = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  if (littleEndian || size === 1) {
    o.set(bytes.subarray(0, count * size));
  } else {
    for (let i = 0; i < count * size; i += size) for (let j = 0; j < size; j++) o[i + j] = bytes[i + size - 1 - j];
  }
  return out;
}

/** Whether (size, stride) is the dense row-major layout (dims of size 1 may have any stride). */
function isContiguous(size: readonly number[], stride: readonly number[]): boolean {
  for (let d = size.length - 1, expect = 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expect) return false;
    expect *= size[d];
  }
  return true;
}

/** Copies the strided view (offset, size, stride) of `src` into a new dense array of `numel` (> 0) elements. */
function gather(src: RawArray, offset: number, size: readonly number[], stride: readonly number[], numel: number): RawArray {
  const dst = new (src.constructor as RawCtor)(numel);
  // Plain index copies; `as number[]` only lets one loop serve every element type.
  const s = src as unknown as number[];
  const t = dst as unknown as number[];
  const nd = size.length;
  const last = nd - 1;
  const lastSize = size[last];
  const lastStride = stride[last];
  const idx = new Array<number>(nd).fill(0);
  let base = offset;
  let out = 0;
  for (let o = numel / lastSize; o > 0; o--) {
    for (let j = 0, p = base; j < lastSize; j++, p += lastStride) t[out++] = s[p];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      base += stride[d];
      if (idx[d] < size[d]) break;
      base -= stride[d] * size[d];
      idx[d] = 0;
    }
  }
  return dst;
}

interface Materialiser {
  readonly file: string;
  readonly littleEndian: boolean;
  readonly options: ReadOptions;
  /** Bytes the tensors may still read (see PICKLE_LIMITS.materialiseFactor). */
  budget: number;
  readonly raw: Map<StorageRef, Map<TorchDtype, RawArray>>;
  readonly done: Map<TensorRef, LoadedTensor>;
  /** How many distinct tensors of the state dict use each (root) storage. */
  readonly uses: Map<StorageRef, number>;
}

function materialise(t: TensorRef, name: string, mat: Materialiser): LoadedTensor {
  const cached = mat.done.get(t);
  if (cached !== undefined) return cached;
  const fail = (detail: string): never => {
    throw new CheckpointError(mat.file, name, detail);
  };
  const bytes = t.storage.bytes;
  if (bytes === undefined) return fail(`its storage ${JSON.stringify(t.storage.key)} has no data in the file`);
  const esize = DTYPE_SIZE[t.dtype];
  const available = Math.floor(bytes.length / esize);
  const { offset, size, stride } = t;
  // Exact in BigInt: products of numbers from the file can pass 2^53.
  let numelBig = 1n;
  for (const d of size) numelBig *= BigInt(d);
  if (numelBig > 0n) {
    let last = BigInt(offset);
    for (let d = 0; d < size.length; d++) last += BigInt(size[d] - 1) * BigInt(stride[d]);
    if (last >= BigInt(available)) {
      fail(
        `the view (offset ${offset}, size [${size.join(', ')}], stride [${stride.join(', ')}]) reaches element ${last} ` +
          `but its storage ${JSON.stringify(t.storage.key)} holds ${available} ${t.dtype} elements`,
      );
    }
  }
  const byteCount = numelBig * BigInt(esize);
  if (byteCount > BigInt(mat.budget)) {
    fail(`materialising it (${byteCount} bytes) would exceed the limit on total tensor bytes, ${PICKLE_LIMITS.materialiseFactor}× the file's storage bytes`);
  }
  mat.budget -= Number(byteCount);
  const numel = Number(numelBig);

  const root = t.storage.view?.root ?? t.storage;
  let dense: RawArray;
  if (numel === 0 || isContiguous(size, stride)) {
    // The common case. A view on the file's bytes when that is safe: aligned little-endian data,
    // and either converted below anyway or the only tensor on its storage (so no two tensors
    // ever share memory). Otherwise one copy of the tensor's own bytes.
    const converted = t.dtype === 'float16' || t.dtype === 'bfloat16' || t.dtype === 'int16' || (t.dtype === 'float64' && mat.options.float64 !== 'float64');
    const alone = mat.uses.get(root) === 1;
    dense = rawElements(bytes.subarray(offset * esize, (offset + numel) * esize), t.dtype, mat.littleEndian, !(converted || alone));
  } else {
    // A strided view: index into the whole underlying storage (a legacy storage view's root),
    // as elements of this dtype, made once per storage and dtype.
    const rootBytes = root.bytes!;
    const startByte = bytes.byteOffset - rootBytes.byteOffset;
    if (startByte % esize !== 0) fail(`its storage view starts at byte ${startByte} of storage ${JSON.stringify(root.key)}, not a multiple of the ${t.dtype} element size`);
    let perStorage = mat.raw.get(root);
    if (perStorage === undefined) mat.raw.set(root, (perStorage = new Map()));
    let raw = perStorage.get(t.dtype);
    if (raw === undefined) {
      raw = rawElements(rootBytes, t.dtype, mat.littleEndian, false);
      if (raw.buffer !== rootBytes.buffer) {
        if (raw.byteLength > mat.budget) fail(`an aligned copy of its storage would exceed the limit on total tensor bytes`);
        mat.budget -= raw.byteLength;
      }
      perStorage.set(t.dtype, raw);
    }
    dense = gather(raw, startByte / esize + offset, size, stride, numel);
  }
  const dims = [...size];
  let result: LoadedTensor;
  switch (t.dtype) {
    case 'float32':
      result = { dtype: 'float32', dims, data: dense as Float32Array };
      break;
    case 'float16':
    case 'bfloat16': {
      const h = dense as Uint16Array;
      const b = new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
      result = { dtype: 'float32', dims, data: t.dtype === 'float16' ? float16BytesToFloat32(b, numel) : bfloat16BytesToFloat32(b, numel) };
      break;
    }
    case 'float64':
      result =
        mat.options.float64 === 'float64'
          ? { dtype: 'float64', dims, data: dense as Float64Array }
          : { dtype: 'float32', dims, data: Float32Array.from(dense as Float64Array) };
      break;
    case 'int64':
      result = { dtype: 'int64', dims, data: dense as BigInt64Array };
      break;
    case 'int32':
      result = { dtype: 'int32', dims, data: dense as Int32Array };
      break;
    case 'int16':
      result = { dtype: 'int32', dims, data: Int32Array.from(dense as Int16Array) };
      break;
    case 'int8':
      result = { dtype: 'int8', dims, data: dense as Int8Array };
      break;
    case 'uint8':
      result = { dtype: 'uint8', dims, data: dense as Uint8Array };
      break;
    case 'bool': {
      const u = dense as Uint8Array;
      for (let i = 0; i < u.length; i++) if (u[i] > 1) fail(`bool element ${i} is the byte ${u[i]}; expected 0 or 1`);
      result = { dtype: 'bool', dims, data: u };
      break;
    }
  }
  mat.done.set(t, result);
  return result;
}

/** Turns the unpickled top-level object into the name → tensor map. */
function collect(root: PyValue, storages: Iterable<StorageRef>, file: string, littleEndian: boolean, options: ReadOptions): Map<string, LoadedTensor> {
  if (!(root instanceof PyDict)) {
    throw new CheckpointError(file, undefined, `the checkpoint holds ${describe(root)}, not a state dict (a dict of name → tensor)`);
  }
  let storageBytes = 0;
  const seen = new Set<Uint8Array>();
  for (const s of storages) {
    if (s.bytes !== undefined && s.view === undefined && !seen.has(s.bytes)) {
      seen.add(s.bytes);
      storageBytes += s.bytes.length;
    }
  }
  const uses = new Map<StorageRef, number>();
  const counted = new Set<TensorRef>();
  for (const v of root.map.values()) {
    if (v instanceof TensorRef && !counted.has(v)) {
      counted.add(v);
      const r = v.storage.view?.root ?? v.storage;
      uses.set(r, (uses.get(r) ?? 0) + 1);
    }
  }
  const mat: Materialiser = {
    file,
    littleEndian,
    options,
    budget: PICKLE_LIMITS.materialiseFactor * storageBytes + PICKLE_LIMITS.extraMaterialisedBytes,
    raw: new Map(),
    done: new Map(),
    uses,
  };
  const tensors = new Map<string, LoadedTensor>();
  for (const [key, value] of root.map) {
    if (typeof key !== 'string') throw new CheckpointError(file, undefined, `state dict keys must be strings, found ${describe(key)}`);
    if (!(value instanceof TensorRef)) {
      throw new CheckpointError(
        file,
        key,
        `holds ${describe(value)}, not a tensor; tokentag reads state dicts (name → tensor), e.g. torch.save(model.state_dict(), path)`,
      );
    }
    tensors.set(key, materialise(value, key, mat));
  }
  return tensors;
}

// ---------------------------------------------------------------------------------------------
// The two container formats
// ---------------------------------------------------------------------------------------------

/** The legacy format's first pickle: 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

function parseZipFormat(bytes: Uint8Array, file: string, options: ReadOptions): Map<string, LoadedTensor> {
  const zip: ZipArchive = openZip(bytes, file);
  const names = [...zip.entries.keys()];
  const pkls = names.filter((nm) => /^[^/]+\/data\.pkl$/.test(nm));
  if (pkls.length === 0) {
    throw new CheckpointError(file, undefined, 'the zip archive has no <archive>/data.pkl entry: not a torch.save checkpoint');
  }
  if (pkls.length > 1) throw new CheckpointError(file, undefined, `the zip archive has ${pkls.length} data.pkl entries (${pkls.slice(0, 3).join(', ')}); expected one`);
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  if (names.some((nm) => nm.startsWith(`${prefix}code/`) || nm === `${prefix}constants.pkl`)) {
    throw new CheckpointError(file, undefined, 'this is a TorchScript archive (torch.jit.save), not a torch.save state dict; tokentag does not run TorchScript');
  }
  let littleEndian = true;
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = latin1.decode(zip.read(`${prefix}byteorder`)).trim();
    if (order === 'big') littleEndian = false;
    else if (order !== 'little') throw new CheckpointError(file, undefined, `${prefix}byteorder says ${JSON.stringify(order.slice(0, 20))}; expected "little" or "big"`);
  }
  const pklEntry = zip.entries.get(pkls[0])!;
  if (pklEntry.uncompressedSize > PICKLE_LIMITS.maxPickleBytes) {
    throw new CheckpointError(file, undefined, `${pkls[0]} is ${pklEntry.uncompressedSize} bytes, over the ${PICKLE_LIMITS.maxPickleBytes}-byte limit for a state dict's pickle`);
  }
  const pickle = zip.read(pkls[0]);

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue, at: string): PyValue => {
    const id = parsePersistentId(pid, false, file, at);
    const existing = storages.get(id.key);
    if (existing !== undefined) {
      if (existing.dtype !== id.dtype || existing.numel !== id.numel) {
        throw new CheckpointError(file, undefined, `storage ${JSON.stringify(id.key)} is referred to with two different types or sizes (${at})`);
      }
      return existing;
    }
    const entryName = `${prefix}data/${id.key}`;
    const entry = zip.entries.get(entryName);
    if (entry === undefined) throw new CheckpointError(file, undefined, `storage ${JSON.stringify(id.key)} has no ${entryName} entry in the archive (${at})`);
    const expected = id.numel * elementSize(id.dtype);
    if (entry.uncompressedSize !== expected) {
      throw new CheckpointError(
        file,
        undefined,
        `storage ${JSON.stringify(id.key)} should hold ${id.numel} ${id.dtype} elements (${expected} bytes), but ${entryName} has ${entry.uncompressedSize} bytes (${at})`,
      );
    }
    const s = new StorageRef(id.key, id.dtype, id.numel);
    s.bytes = zip.read(entryName);
    storages.set(id.key, s);
    return s;
  };
  const { value } = runPickle(pickle, 0, { file, source: pkls[0], persistentLoad });
  return collect(value, storages.values(), file, littleEndian, options);
}

function parseLegacyFormat(bytes: Uint8Array, file: string, options: ReadOptions): Map<string, LoadedTensor> {
  const notTorch = (): never => {
    throw new CheckpointError(file, undefined, 'not a PyTorch checkpoint: neither a zip archive (torch.save, torch ≥ 1.6) nor the legacy torch.save format');
  };
  const magic = runPickle(bytes, 0, { file, source: 'the magic-number pickle' });
  if (magic.value !== LEGACY_MAGIC) notTorch();
  const protocol = runPickle(bytes, magic.end, { file, source: 'the protocol-version pickle' });
  if (protocol.value !== LEGACY_PROTOCOL_VERSION) {
    throw new CheckpointError(file, undefined, `legacy checkpoint protocol version ${describe(protocol.value)} is not supported (expected ${LEGACY_PROTOCOL_VERSION})`);
  }
  const sysInfo = runPickle(bytes, protocol.end, { file, source: 'the sys_info pickle' });
  let littleEndian = true;
  if (sysInfo.value instanceof PyDict) {
    const le = sysInfo.value.map.get('little_endian');
    if (le === false) littleEndian = false;
  }

  const storages = new Map<string, StorageRef>();
  const views = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue, at: string): PyValue => {
    const id = parsePersistentId(pid, true, file, at);
    let root = storages.get(id.key);
    if (root === undefined) {
      root = new StorageRef(id.key, id.dtype, id.numel);
      storages.set(id.key, root);
    } else if (root.dtype !== id.dtype) {
      throw new CheckpointError(file, undefined, `storage ${JSON.stringify(id.key)} is referred to with two different types (${at})`);
    }
    const vm = id.viewMetadata;
    if (vm === null || vm === undefined) return root;
    // (view_key, offset, view_size), in elements of the root storage.
    if (!(vm instanceof PyTuple && vm.items.length === 3)) {
      throw new CheckpointError(file, undefined, `storage view metadata must be (key, offset, size), found ${describe(vm)} (${at})`);
    }
    const [vk, vo, vs] = vm.items;
    if (typeof vk !== 'string') throw new CheckpointError(file, undefined, `a storage view key must be a string, found ${describe(vk)} (${at})`);
    const bad = (v: PyValue): boolean => typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0;
    if (bad(vo) || bad(vs)) throw new CheckpointError(file, undefined, `a storage view's offset and size must be non-negative integers (${at})`);
    const existing = views.get(vk);
    if (existing !== undefined) return existing;
    const view = new StorageRef(vk, id.dtype, vs as number, { root, offset: vo as number });
    views.set(vk, view);
    return view;
  };
  const main = runPickle(bytes, sysInfo.end, { file, source: 'the main pickle', persistentLoad });
  const keysPickle = runPickle(bytes, main.end, { file, source: 'the storage-key list pickle' });
  const keys = keysPickle.value;
  if (!(keys instanceof PyList)) throw new CheckpointError(file, undefined, `the storage-key list is ${describe(keys)}, not a list`);

  let pos = keysPickle.end;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const k of keys.items) {
    if (typeof k !== 'string') throw new CheckpointError(file, undefined, `the storage-key list holds ${describe(k)}, not a string`);
    const s = storages.get(k);
    if (s === undefined) throw new CheckpointError(file, undefined, `the storage-key list names ${JSON.stringify(k)}, which no tensor uses`);
    if (s.bytes !== undefined) throw new CheckpointError(file, undefined, `the storage-key list names ${JSON.stringify(k)} twice`);
    if (pos + 8 > bytes.length) throw new CheckpointError(file, undefined, `the file ends before the data of storage ${JSON.stringify(k)} (truncated?)`);
    const numel = dv.getBigInt64(pos, littleEndian);
    if (numel !== BigInt(s.numel)) {
      throw new CheckpointError(file, undefined, `storage ${JSON.stringify(k)} has ${numel} elements in the file but ${s.numel} in its persistent id`);
    }
    const nbytes = s.numel * elementSize(s.dtype);
    if (nbytes > bytes.length - pos - 8) {
      throw new CheckpointError(file, undefined, `storage ${JSON.stringify(k)} (${nbytes} bytes) runs past the end of the file (truncated?)`);
    }
    s.bytes = bytes.subarray(pos + 8, pos + 8 + nbytes);
    pos += 8 + nbytes;
  }
  for (const s of storages.values()) {
    if (s.bytes === undefined) throw new CheckpointError(file, undefined, `storage ${JSON.stringify(s.key)} is used but its data is not in the file`);
  }
  for (const v of views.values()) {
    const root = v.view!.root;
    const esize = elementSize(v.dtype);
    if (v.view!.offset + v.numel > root.numel) {
      throw new CheckpointError(file, undefined, `storage view ${JSON.stringify(v.key)} [${v.view!.offset}, ${v.view!.offset + v.numel}) runs past its storage ${JSON.stringify(root.key)} of ${root.numel} elements`);
    }
    v.bytes = root.bytes!.subarray(v.view!.offset * esize, (v.view!.offset + v.numel) * esize);
  }
  return collect(main.value, [...storages.values(), ...views.values()], file, littleEndian, options);
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface PytorchBin {
  /** Tensors in the state dict's order. */
  readonly tensors: Map<string, LoadedTensor>;
  /** Which torch.save container the file used. */
  readonly format: 'zip' | 'legacy';
}

/**
 * Parses a `torch.save` state dict held in memory (`fileName` is only used in messages).
 * A tensor that needs no conversion and is the only tensor on its storage is a view on `bytes`
 * (as the safetensors reader does); every other tensor is a copy, so distinct tensors never share memory.
 */
export function parsePytorchBin(bytes: Uint8Array, fileName = '<memory>', options: ReadOptions = {}): PytorchBin {
  if (endianness() !== 'LE') throw new CheckpointError(fileName, undefined, 'big-endian hosts are not supported');
  if (looksLikeZip(bytes)) return { tensors: parseZipFormat(bytes, fileName, options), format: 'zip' };
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) return { tensors: parseLegacyFormat(bytes, fileName, options), format: 'legacy' };
  if (bytes.length >= 262 && latin1.decode(bytes.subarray(257, 262)) === 'ustar') {
    throw new CheckpointError(fileName, undefined, 'this is the tar-based checkpoint format of torch < 0.4, which tokentag does not read; re-save it with a current torch.save');
  }
  throw new CheckpointError(fileName, undefined, 'not a PyTorch checkpoint: neither a zip archive (torch.save, torch ≥ 1.6) nor the legacy torch.save format');
}

/** Reads a `pytorch_model.bin` (or any torch.save state dict) from disk. */
export function readPytorchBin(path: string, options: ReadOptions = {}): PytorchBin {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new CheckpointError(path, undefined, `cannot open: ${(e as Error).message}`);
  }
  let buf: Buffer;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new CheckpointError(path, undefined, 'not a regular file');
    if (st.size > bufferConstants.MAX_LENGTH) {
      throw new CheckpointError(path, undefined, `the file (${st.size} bytes) is larger than one buffer can hold (${bufferConstants.MAX_LENGTH}); convert it to sharded safetensors`);
    }
    buf = Buffer.allocUnsafeSlow(st.size);
    let done = 0;
    while (done < buf.length) {
      const got = fs.readSync(fd, buf, done, Math.min(buf.length - done, 1 << 30), done);
      if (got === 0) throw new CheckpointError(path, undefined, `the file ended after ${done} bytes while reading (was it truncated while being read?)`);
      done += got;
    }
  } finally {
    fs.closeSync(fd);
  }
  return parsePytorchBin(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), path, options);
}
