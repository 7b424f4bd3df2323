import { test, describe } from 'node:test';
import { makeZip, type ZipInput } from '../helpers/zip.ts';
import { requireFixtures } from '../helpers/fixtures.ts';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { parsePytorchBin, readPytorchBin, PICKLE_LIMITS } from '../../src/models/pickle.ts';
import { openZip, MAX_INFLATED_BYTES } from '../../src/models/zip.ts';
import { CheckpointError, readSafetensors, type LoadedTensor } from '../../src/models/safetensors.ts';
import { float32ToBfloat16Bits, float32ToFloat16Bits } from '../../src/models/half.ts';

// ---------------------------------------------------------------------------------------------
// A tiny pickle assembler (protocol 2 opcodes, plus a few later ones for the hostile cases)
// ---------------------------------------------------------------------------------------------

class Pickle {
  private readonly out: number[] = [];
  private memo = 0;
  raw(...b: number[]): this {
    for (const x of b) this.out.push(x & 0xff);
    return this;
  }
  bytesRaw(b: Uint8Array): this {
    for (const x of b) this.out.push(x);
    return this;
  }
  proto(v = 2): this {
    return this.raw(0x80, v);
  }
  ascii(s: string): this {
    return this.bytesRaw(Buffer.from(s, 'latin1'));
  }
  global(module: string, name: string): this {
    return this.raw(0x63).ascii(`${module}\n${name}\n`);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.raw(0x58, b.length, b.length >> 8, b.length >> 16, b.length >> 24).bytesRaw(b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.raw(0x4a, n, n >> 8, n >> 16, n >> 24);
    return this.long1(BigInt(n));
  }
  long1(v: bigint): this {
    const b: number[] = [];
    let x = v;
    do {
      b.push(Number(BigInt.asUintN(8, x)));
      x >>= 8n;
    } while (!((x === 0n && (b[b.length - 1] & 0x80) === 0) || (x === -1n && (b[b.length - 1] & 0x80) !== 0)));
    return this.raw(0x8a, b.length, ...b);
  }
  mark(): this {
    return this.raw(0x28);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  ints(xs: readonly number[]): this {
    this.mark();
    for (const x of xs) this.int(x);
    return this.tuple();
  }
  reduce(): this {
    return this.raw(0x52);
  }
  put(): this {
    return this.raw(0x71, this.memo++);
  }
  get(i: number): this {
    return this.raw(0x68, i);
  }
  bool(v: boolean): this {
    return this.raw(v ? 0x88 : 0x89);
  }
  none(): this {
    return this.raw(0x4e);
  }
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').emptyTuple().reduce();
  }
  stop(): this {
    return this.raw(0x2e);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

interface TensorSpec {
  readonly name: string;
  readonly storageType?: string; // e.g. 'FloatStorage'
  readonly key: string;
  readonly numel: number;
  readonly offset?: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
  readonly parameter?: boolean;
  readonly location?: string;
}

/** Emits `_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())`. */
function emitTensor(p: Pickle, t: TensorSpec, legacy: boolean): void {
  if (t.parameter) p.global('torch._utils', '_rebuild_parameter');
  p.global('torch._utils', '_rebuild_tensor_v2').mark();
  p.mark().str('storage').global('torch', t.storageType ?? 'FloatStorage').str(t.key).str(t.location ?? 'cpu').int(t.numel);
  if (legacy) p.none();
  p.tuple().raw(0x51); // BINPERSID
  p.int(t.offset ?? 0).ints(t.size).ints(t.stride).bool(false).orderedDict().tuple().reduce();
  if (t.parameter) p.bool(true).orderedDict().raw(0x87).reduce(); // TUPLE3
}

function stateDictPickle(tensors: readonly TensorSpec[], legacy = false): Uint8Array {
  const p = new Pickle().proto().orderedDict().put().mark();
  for (const t of tensors) {
    p.str(t.name);
    emitTensor(p, t, legacy);
  }
  return p.raw(0x75).stop().bytes(); // SETITEMS
}

// ---------------------------------------------------------------------------------------------
// A tiny zip writer (stored or deflated entries)
// ---------------------------------------------------------------------------------------------

function f32(xs: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(xs).buffer);
}

function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array>, extra: ZipInput[] = [], deflatePickle = false): Uint8Array {
  return makeZip([
    { name: 'archive/data.pkl', data: pickle, deflate: deflatePickle },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data })),
    { name: 'archive/version', data: Buffer.from('3\n') },
    ...extra,
  ]);
}

/** The legacy (non-zip) torch.save layout. */
function legacyFile(main: Uint8Array, storages: Array<[string, number, Uint8Array]>): Uint8Array {
  const magic = new Pickle().proto().long1(0x1950a86a20f9469cfc6cn).stop().bytes();
  const version = new Pickle().proto().int(1001).stop().bytes();
  const sysInfo = new Pickle().proto().raw(0x7d).mark().str('protocol_version').int(1001).str('little_endian').bool(true).raw(0x75).stop().bytes();
  const keys = new Pickle().proto().raw(0x5d).mark();
  for (const [k] of storages) keys.str(k);
  const keyList = keys.raw(0x65).stop().bytes(); // APPENDS
  const parts: Uint8Array[] = [magic, version, sysInfo, main, keyList];
  for (const [, numel, data] of storages) {
    const n = new Uint8Array(8);
    new DataView(n.buffer).setBigInt64(0, BigInt(numel), true);
    parts.push(n, data);
  }
  return new Uint8Array(Buffer.concat(parts));
}

function values(t: LoadedTensor | undefined): number[] {
  assert.ok(t !== undefined);
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

function rejects(bytes: Uint8Array, pattern: RegExp): CheckpointError {
  let caught: unknown;
  try {
    parsePytorchBin(bytes, 'pytorch_model.bin');
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CheckpointError, `expected a CheckpointError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.match(caught.message, pattern);
  assert.equal(caught.file, 'pytorch_model.bin');
  return caught;
}

/** A valid two-tensor zip checkpoint, used by several tests. */
function basicZip(): Uint8Array {
  const pickle = stateDictPickle([
    { name: 'dense.weight', key: '0', numel: 6, size: [2, 3], stride: [3, 1] },
    { name: 'dense.bias', key: '1', numel: 2, size: [2], stride: [1] },
  ]);
  return torchZip(pickle, { '0': f32([1, 2, 3, 4, 5, 6]), '1': f32([0.5, -0.5]) });
}

// Written by CPython 3.11's pickle module (protocol 2, persistent ids, memo, BINGET reuse, an
// OrderedDict with `_metadata` set by BUILD) with stand-in torch classes, exactly as torch.save
// lays out a state dict: enc.weight f32 [2,3] = 1..6, enc.weight_t its transpose (stride [1,3]),
// enc.bias f16 [1.5, -2, 65504], ids i64 storage [-1, 2^40] at offset 1, and head.weight a
// _rebuild_parameter of a [2,2] slice of enc.weight's storage from offset 1 with stride [3,1].
const PYTHON_ZIP = Buffer.from(
  'UEsDBBQAAAAAALODd10XTL2ARgIAAEYCAAAQAAAAYXJjaGl2ZS9kYXRhLnBrbIACY2NvbGxlY3Rpb25zCk9yZGVyZWREaWN0CnEAKVJxAShYCgAAAGVuYy53' +
  'ZWlnaHRxAmN0b3JjaC5fdXRpbHMKX3JlYnVpbGRfdGVuc29yX3YyCnEDKChYBwAAAHN0b3JhZ2VxBGN0b3JjaApGbG9hdFN0b3JhZ2UKcQVYAQAAADBxBlgD' +
  'AAAAY3B1cQdLBnRxCFFLAEsCSwOGcQlLA0sBhnEKiWgAKVJxC3RxDFJxDVgMAAAAZW5jLndlaWdodF90cQ5oAygoaARoBWgGaAdLBnRxD1FLAEsDSwKGcRBL' +
  'AUsDhnERiWgAKVJxEnRxE1JxFFgIAAAAZW5jLmJpYXNxFWgDKChoBGN0b3JjaApIYWxmU3RvcmFnZQpxFlgBAAAAMXEXaAdLA3RxGFFLAEsDhXEZSwGFcRqJ' +
  'aAApUnEbdHEcUnEdWAMAAABpZHNxHmgDKChoBGN0b3JjaApMb25nU3RvcmFnZQpxH1gBAAAAMnEgaAdLAnRxIVFLAWgaaBqJaAApUnEidHEjUnEkWAsAAABo' +
  'ZWFkLndlaWdodHElY3RvcmNoLl91dGlscwpfcmVidWlsZF9wYXJhbWV0ZXIKcSZoAygoaARoBWgGaAdLBnRxJ1FLAUsCSwKGcShoColoAClScSl0cSpScSuI' +
  'aAApUnEsh3EtUnEudX1xL1gJAAAAX21ldGFkYXRhcTBoAClScTEoWAAAAABxMn1xM1gHAAAAdmVyc2lvbnE0SwFzWAMAAABlbmNxNX1xNmg0SwFzdXNiLlBL' +
  'AwQUAAAAAACzg3ddhT3jGQYAAAAGAAAAEQAAAGFyY2hpdmUvYnl0ZW9yZGVybGl0dGxlUEsDBBQAAAAAALODd10k5TkZGAAAABgAAAAOAAAAYXJjaGl2ZS9k' +
  'YXRhLzAAAIA/AAAAQAAAQEAAAIBAAACgQAAAwEBQSwMEFAAAAAAAs4N3XcJkj2oGAAAABgAAAA4AAABhcmNoaXZlL2RhdGEvMQA+AMD/e1BLAwQUAAAAAACz' +
  'g3ddWKwXehAAAAAQAAAADgAAAGFyY2hpdmUvZGF0YS8y//////////8AAAAAAAEAAFBLAwQUAAAAAACzg3dd0Z5nVQIAAAACAAAADwAAAGFyY2hpdmUvdmVy' +
  'c2lvbjMKUEsBAhQDFAAAAAAAs4N3XRdMvYBGAgAARgIAABAAAAAAAAAAAAAAAIABAAAAAGFyY2hpdmUvZGF0YS5wa2xQSwECFAMUAAAAAACzg3ddhT3jGQYA' +
  'AAAGAAAAEQAAAAAAAAAAAAAAgAF0AgAAYXJjaGl2ZS9ieXRlb3JkZXJQSwECFAMUAAAAAACzg3ddJOU5GRgAAAAYAAAADgAAAAAAAAAAAAAAgAGpAgAAYXJj' +
  'aGl2ZS9kYXRhLzBQSwECFAMUAAAAAACzg3ddwmSPagYAAAAGAAAADgAAAAAAAAAAAAAAgAHtAgAAYXJjaGl2ZS9kYXRhLzFQSwECFAMUAAAAAACzg3ddWKwX' +
  'ehAAAAAQAAAADgAAAAAAAAAAAAAAgAEfAwAAYXJjaGl2ZS9kYXRhLzJQSwECFAMUAAAAAACzg3dd0Z5nVQIAAAACAAAADwAAAAAAAAAAAAAAgAFbAwAAYXJj' +
  'aGl2ZS92ZXJzaW9uUEsFBgAAAAAGAAYAbgEAAIoDAAAAAA==',
  'base64',
);
// The same state dict in the legacy (non-zip) torch.save layout.
const PYTHON_LEGACY = Buffer.from(
  'gAKKCmz8nEb5IGqoUBkugAJN6QMugAJ9cQAoWBAAAABwcm90b2NvbF92ZXJzaW9ucQFN6QNYDQAAAGxpdHRsZV9lbmRpYW5xAohYCgAAAHR5cGVfc2l6ZXNx' +
  'A31xBChYBQAAAHNob3J0cQVLAlgDAAAAaW50cQZLBFgEAAAAbG9uZ3EHSwR1dS6AAmNjb2xsZWN0aW9ucwpPcmRlcmVkRGljdApxAClScQEoWAoAAABlbmMu' +
  'd2VpZ2h0cQJjdG9yY2guX3V0aWxzCl9yZWJ1aWxkX3RlbnNvcl92MgpxAygoWAcAAABzdG9yYWdlcQRjdG9yY2gKRmxvYXRTdG9yYWdlCnEFWAEAAAAwcQZY' +
  'AwAAAGNwdXEHSwZOdHEIUUsASwJLA4ZxCUsDSwGGcQqJaAApUnELdHEMUnENWAwAAABlbmMud2VpZ2h0X3RxDmgDKChoBGgFaAZoB0sGTnRxD1FLAEsDSwKG' +
  'cRBLAUsDhnERiWgAKVJxEnRxE1JxFFgIAAAAZW5jLmJpYXNxFWgDKChoBGN0b3JjaApIYWxmU3RvcmFnZQpxFlgBAAAAMXEXaAdLA050cRhRSwBLA4VxGUsB' +
  'hXEaiWgAKVJxG3RxHFJxHVgDAAAAaWRzcR5oAygoaARjdG9yY2gKTG9uZ1N0b3JhZ2UKcR9YAQAAADJxIGgHSwJOdHEhUUsBaBpoGoloAClScSJ0cSNScSRY' +
  'CwAAAGhlYWQud2VpZ2h0cSVjdG9yY2guX3V0aWxzCl9yZWJ1aWxkX3BhcmFtZXRlcgpxJmgDKChoBGgFaAZoB0sGTnRxJ1FLAUsCSwKGcShoColoAClScSl0' +
  'cSpScSuIaAApUnEsh3EtUnEudX1xL1gJAAAAX21ldGFkYXRhcTBoAClScTEoWAAAAABxMn1xM1gHAAAAdmVyc2lvbnE0SwFzWAMAAABlbmNxNX1xNmg0SwFz' +
  'dXNiLoACXXEAKFgBAAAAMHEBWAEAAAAxcQJYAQAAADJxA2UuBgAAAAAAAAAAAIA/AAAAQAAAQEAAAIBAAACgQAAAwEADAAAAAAAAAAA+AMD/ewIAAAAAAAAA' +
  '//////////8AAAAAAAEAAA==',
  'base64',
);

// ---------------------------------------------------------------------------------------------

describe('pytorch_model.bin: zip format', () => {
  test('an OrderedDict of two float32 tensors, in order', () => {
    const bytes = basicZip();
    const { tensors, format } = parsePytorchBin(bytes, 'x.bin');
    assert.equal(format, 'zip');
    // Aligned, unconverted and alone on its storage: a view on the input, as safetensors does.
    assert.equal(tensors.get('dense.weight')!.data.buffer, bytes.buffer);
    assert.deepEqual([...tensors.keys()], ['dense.weight', 'dense.bias']);
    const w = tensors.get('dense.weight')!;
    assert.equal(w.dtype, 'float32');
    assert.deepEqual(w.dims, [2, 3]);
    assert.deepEqual(values(w), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(values(tensors.get('dense.bias')), [0.5, -0.5]);
  });

  test('a deflated data.pkl entry reads the same', () => {
    const pickle = stateDictPickle([{ name: 'b', key: '0', numel: 2, size: [2], stride: [1] }]);
    const { tensors } = parsePytorchBin(torchZip(pickle, { '0': f32([3, 4]) }, [], true));
    assert.deepEqual(values(tensors.get('b')), [3, 4]);
  });

  test('float16 and bfloat16 storages become float32', () => {
    const xs = [1, -2.5, 65504, 0.000060975552, -0];
    const pickle = stateDictPickle([
      { name: 'h', storageType: 'HalfStorage', key: '0', numel: 5, size: [5], stride: [1] },
      { name: 'b', storageType: 'BFloat16Storage', key: '1', numel: 2, size: [2], stride: [1] },
    ]);
    const half = new Uint8Array(float32ToFloat16Bits(Float32Array.from(xs)).buffer);
    const bf = new Uint8Array(float32ToBfloat16Bits(Float32Array.from([1.5, -3])).buffer);
    const { tensors } = parsePytorchBin(torchZip(pickle, { '0': half, '1': bf }));
    assert.equal(tensors.get('h')!.dtype, 'float32');
    assert.deepEqual(values(tensors.get('h')), Array.from(Float32Array.from(xs)));
    assert.ok(Object.is(values(tensors.get('h'))[4], -0));
    assert.deepEqual(values(tensors.get('b')), [1.5, -3]);
  });

  test('int64 stays int64; double becomes float32 unless asked to keep float64', () => {
    const pickle = stateDictPickle([
      { name: 'ids', storageType: 'LongStorage', key: '0', numel: 3, size: [3], stride: [1] },
      { name: 'd', storageType: 'DoubleStorage', key: '1', numel: 1, size: [], stride: [] },
    ]);
    const ids = new Uint8Array(BigInt64Array.from([-1n, 2n ** 40n, 9007199254740993n]).buffer);
    const d = new Uint8Array(Float64Array.from([0.1]).buffer);
    const bytes = torchZip(pickle, { '0': ids, '1': d });
    const { tensors } = parsePytorchBin(bytes);
    const t = tensors.get('ids')!;
    assert.equal(t.dtype, 'int64');
    assert.deepEqual(Array.from(t.data as BigInt64Array), [-1n, 2n ** 40n, 9007199254740993n]);
    assert.equal(tensors.get('d')!.dtype, 'float32');
    assert.deepEqual(tensors.get('d')!.dims, []);
    assert.equal(values(tensors.get('d'))[0], Math.fround(0.1));
    const kept = parsePytorchBin(bytes, 'x', { float64: 'float64' }).tensors.get('d')!;
    assert.equal(kept.dtype, 'float64');
    assert.equal(values(kept)[0], 0.1);
  });

  test('int32, int16 (as int32), int8, uint8 and bool storages', () => {
    const pickle = stateDictPickle([
      { name: 'i32', storageType: 'IntStorage', key: '0', numel: 2, size: [2], stride: [1] },
      { name: 'i16', storageType: 'ShortStorage', key: '1', numel: 2, size: [2], stride: [1] },
      { name: 'i8', storageType: 'CharStorage', key: '2', numel: 1, size: [1], stride: [1] },
      { name: 'u8', storageType: 'ByteStorage', key: '3', numel: 2, size: [2], stride: [1] },
      { name: 'mask', storageType: 'BoolStorage', key: '4', numel: 3, size: [3], stride: [1] },
    ]);
    const { tensors } = parsePytorchBin(
      torchZip(pickle, {
        '0': new Uint8Array(Int32Array.from([7, -8]).buffer),
        '1': new Uint8Array(Int16Array.from([-32768, 32767]).buffer),
        '2': new Uint8Array(Int8Array.from([-128]).buffer),
        '3': Uint8Array.from([255, 0]),
        '4': Uint8Array.from([1, 0, 1]),
      }),
    );
    assert.deepEqual(
      [...tensors].map(([k, t]) => [k, t.dtype, values(t)]),
      [
        ['i32', 'int32', [7, -8]],
        ['i16', 'int32', [-32768, 32767]],
        ['i8', 'int8', [-128]],
        ['u8', 'uint8', [255, 0]],
        ['mask', 'bool', [1, 0, 1]],
      ],
    );
  });

  test('views: a transpose, a slice with storage_offset, and a 3-d permutation are gathered', () => {
    const pickle = stateDictPickle([
      { name: 'w_t', key: '0', numel: 6, size: [3, 2], stride: [1, 3] },
      { name: 'slice', key: '0', numel: 6, offset: 3, size: [2], stride: [1] },
      { name: 'every_other', key: '0', numel: 6, offset: 1, size: [3], stride: [2] },
      { name: 'cube_p', key: '1', numel: 8, size: [2, 2, 2], stride: [1, 4, 2] },
      { name: 'expanded', key: '0', numel: 6, offset: 5, size: [2, 3], stride: [0, 0] },
    ]);
    const { tensors } = parsePytorchBin(torchZip(pickle, { '0': f32([0, 1, 2, 3, 4, 5]), '1': f32([0, 1, 2, 3, 4, 5, 6, 7]) }));
    assert.deepEqual(values(tensors.get('w_t')), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(tensors.get('w_t')!.dims, [3, 2]);
    assert.deepEqual(values(tensors.get('slice')), [3, 4]);
    assert.deepEqual(values(tensors.get('every_other')), [1, 3, 5]);
    // cube[i][j][k] = i + 4j + 2k
    assert.deepEqual(values(tensors.get('cube_p')), [0, 2, 4, 6, 1, 3, 5, 7]);
    assert.deepEqual(values(tensors.get('expanded')), [5, 5, 5, 5, 5, 5]);
  });

  test('tensors sharing one storage are separate copies with the same values', () => {
    const pickle = stateDictPickle([
      { name: 'embeddings.word_embeddings.weight', key: '0', numel: 4, size: [2, 2], stride: [2, 1] },
      { name: 'cls.predictions.decoder.weight', key: '0', numel: 4, size: [2, 2], stride: [2, 1] },
    ]);
    const bytes = torchZip(pickle, { '0': f32([1, 2, 3, 4]) });
    const { tensors } = parsePytorchBin(bytes);
    const a = tensors.get('embeddings.word_embeddings.weight')!;
    assert.notEqual(a.data.buffer, bytes.buffer);
    const b = tensors.get('cls.predictions.decoder.weight')!;
    assert.deepEqual(values(a), values(b));
    (a.data as Float32Array)[0] = 99;
    assert.equal((b.data as Float32Array)[0], 1);
  });

  test('the same tensor object reached twice through the memo is materialised once', () => {
    const p = new Pickle().proto().orderedDict().mark().str('a');
    emitTensor(p, { name: 'a', key: '0', numel: 2, size: [2], stride: [1] }, false);
    const pickle = p.raw(0x71, 200).str('b').get(200).raw(0x75).stop().bytes();
    const { tensors } = parsePytorchBin(torchZip(pickle, { '0': f32([1, 2]) }));
    assert.equal(tensors.get('a'), tensors.get('b'));
  });

  test('_rebuild_parameter wraps a tensor', () => {
    const pickle = stateDictPickle([{ name: 'p', key: '0', numel: 2, size: [2], stride: [1], parameter: true }]);
    assert.deepEqual(values(parsePytorchBin(torchZip(pickle, { '0': f32([7, 8]) })).tensors.get('p')), [7, 8]);
  });

  test('_rebuild_tensor_v3 over an UntypedStorage with a dtype, and _rebuild_from_type_v2', () => {
    const q = new Pickle().proto().orderedDict().mark();
    q.str('v3').global('torch._utils', '_rebuild_tensor_v3').mark();
    q.mark().str('storage').global('torch', 'UntypedStorage').str('0').str('cpu').int(8).tuple().raw(0x51);
    q.int(0).ints([2]).ints([1]).bool(false).orderedDict().global('torch', 'float32').tuple().reduce();
    q.str('typed').global('torch._tensor', '_rebuild_from_type_v2').mark();
    q.global('torch._utils', '_rebuild_tensor_v2').global('torch._tensor', 'Tensor').mark();
    q.mark().str('storage').global('torch', 'FloatStorage').str('1').str('cuda:0').int(1).tuple().raw(0x51);
    q.int(0).ints([1]).ints([1]).bool(true).orderedDict().tuple();
    q.raw(0x7d).tuple().reduce();
    const { tensors } = parsePytorchBin(torchZip(q.raw(0x75).stop().bytes(), { '0': f32([1.25, -2]), '1': f32([42]) }));
    assert.deepEqual(values(tensors.get('v3')), [1.25, -2]);
    assert.deepEqual(values(tensors.get('typed')), [42]);
  });

  test('a big-endian archive (byteorder "big") is byte-swapped', () => {
    const pickle = stateDictPickle([
      { name: 'w', key: '0', numel: 2, size: [2], stride: [1] },
      { name: 'h', storageType: 'HalfStorage', key: '1', numel: 1, size: [1], stride: [1] },
    ]);
    const be = new Uint8Array(8);
    new DataView(be.buffer).setFloat32(0, 1.5, false);
    new DataView(be.buffer).setFloat32(4, -7, false);
    const bytes = makeZip([
      { name: 'archive/data.pkl', data: pickle },
      { name: 'archive/byteorder', data: Buffer.from('big') },
      { name: 'archive/data/0', data: be },
      { name: 'archive/data/1', data: Uint8Array.from([0x3c, 0x00]) },
    ]);
    const { tensors } = parsePytorchBin(bytes);
    assert.deepEqual(values(tensors.get('w')), [1.5, -7]);
    assert.deepEqual(values(tensors.get('h')), [1]);
  });

  test('a pickle written by CPython (memo, BINGET, BUILD of _metadata) in the torch zip layout', () => {
    const { tensors, format } = parsePytorchBin(PYTHON_ZIP, 'python.bin');
    assert.equal(format, 'zip');
    assert.deepEqual([...tensors.keys()], ['enc.weight', 'enc.weight_t', 'enc.bias', 'ids', 'head.weight']);
    assert.deepEqual(values(tensors.get('enc.weight')), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(values(tensors.get('enc.weight_t')), [1, 4, 2, 5, 3, 6]);
    assert.deepEqual(values(tensors.get('enc.bias')), [1.5, -2, 65504]);
    assert.deepEqual(Array.from(tensors.get('ids')!.data as BigInt64Array), [2n ** 40n]);
    assert.deepEqual(values(tensors.get('head.weight')), [2, 3, 5, 6]);
  });

  test('readPytorchBin reads a file from disk', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-bin-'));
    try {
      const file = path.join(dir, 'pytorch_model.bin');
      fs.writeFileSync(file, basicZip());
      const { tensors } = readPytorchBin(file);
      assert.deepEqual(values(tensors.get('dense.bias')), [0.5, -0.5]);
      assert.throws(() => readPytorchBin(path.join(dir, 'missing.bin')), (e: unknown) => e instanceof CheckpointError && /cannot open/.test(e.message));
      assert.throws(() => readPytorchBin(dir), (e: unknown) => e instanceof CheckpointError && /not a regular file/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pytorch_model.bin: legacy format', () => {
  test('a hand-built legacy file', () => {
    const main = stateDictPickle(
      [
        { name: 'w', key: '140', numel: 4, size: [2, 2], stride: [1, 2] },
        { name: 'b', storageType: 'LongStorage', key: '7', numel: 1, size: [1], stride: [1] },
      ],
      true,
    );
    const bytes = legacyFile(main, [
      ['140', 4, f32([1, 2, 3, 4])],
      ['7', 1, new Uint8Array(BigInt64Array.from([-5n]).buffer)],
    ]);
    const { tensors, format } = parsePytorchBin(bytes);
    assert.equal(format, 'legacy');
    assert.deepEqual(values(tensors.get('w')), [1, 3, 2, 4]);
    assert.deepEqual(Array.from(tensors.get('b')!.data as BigInt64Array), [-5n]);
  });

  test('storage view metadata (view_key, offset, size)', () => {
    const p = new Pickle().proto().orderedDict().mark().str('v');
    p.global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str('9').str('cpu').int(5);
    p.mark().str('9v').int(2).int(3).tuple().tuple().raw(0x51); // view_metadata ('9v', 2, 3)
    p.int(0).ints([3]).ints([1]).bool(false).orderedDict().tuple().reduce();
    const bytes = legacyFile(p.raw(0x75).stop().bytes(), [['9', 5, f32([10, 11, 12, 13, 14])]]);
    assert.deepEqual(values(parsePytorchBin(bytes).tensors.get('v')), [12, 13, 14]);
  });

  test('the CPython-written legacy file matches the zip one', () => {
    const legacy = parsePytorchBin(PYTHON_LEGACY);
    assert.equal(legacy.format, 'legacy');
    const zip = parsePytorchBin(PYTHON_ZIP);
    assert.deepEqual([...legacy.tensors.keys()], [...zip.tensors.keys()]);
    for (const [k, t] of zip.tensors) assert.deepEqual(legacy.tensors.get(k), t, k);
  });

  test('a strided tensor over a storage view indexes the root storage', () => {
    const p = new Pickle().proto().orderedDict().mark();
    for (const [name, size, stride] of [
      ['rows', [2, 2], [2, 1]],
      ['cols', [2, 2], [1, 2]],
    ] as const) {
      p.str(name).global('torch._utils', '_rebuild_tensor_v2').mark();
      p.mark().str('storage').global('torch', 'FloatStorage').str('9').str('cpu').int(6);
      p.mark().str('9v').int(1).int(4).tuple().tuple().raw(0x51);
      p.int(0).ints(size).ints(stride).bool(false).orderedDict().tuple().reduce();
    }
    const bytes = legacyFile(p.raw(0x75).stop().bytes(), [['9', 6, f32([0, 1, 2, 3, 4, 5])]]);
    const { tensors } = parsePytorchBin(bytes);
    assert.deepEqual(values(tensors.get('rows')), [1, 2, 3, 4]);
    assert.deepEqual(values(tensors.get('cols')), [1, 3, 2, 4]);
  });

  test('a legacy file with a missing storage, or a wrong element count, is refused', () => {
    const main = stateDictPickle([{ name: 'w', key: '1', numel: 2, size: [2], stride: [1] }], true);
    rejects(legacyFile(main, []), /storage "1" is used but its data is not in the file/);
    rejects(legacyFile(main, [['1', 3, f32([1, 2, 3])]]), /3 elements in the file but 2/);
    const full = legacyFile(main, [['1', 2, f32([1, 2])]]);
    rejects(full.subarray(0, full.length - 1), /runs past the end of the file/);
  });
});

describe('pytorch_model.bin: hostile and broken files', () => {
  const zipOf = (pickle: Uint8Array): Uint8Array => torchZip(pickle, { '0': f32([1, 2]) });

  test('GLOBAL posix.system + REDUCE is refused, naming the function', () => {
    const pickle = new Pickle().proto().global('posix', 'system').str('touch /tmp/pwned').raw(0x85).reduce().stop().bytes();
    const e = rejects(zipOf(pickle), /refusing to load: it calls posix\.system, which is not a tensor-rebuild function/);
    assert.match(e.message, /archive\/data\.pkl, byte 2/);
    // The bare pickle (what a hand-made "pytorch_model.bin" can be) is refused the same way.
    rejects(pickle, /it calls posix\.system/);
  });

  test('builtins.eval, __builtin__.getattr, os.system, nt.system, subprocess.Popen, torch.load are refused', () => {
    for (const [m, n] of [
      ['builtins', 'eval'],
      ['__builtin__', 'getattr'],
      ['os', 'system'],
      ['nt', 'system'],
      ['subprocess', 'Popen'],
      ['torch', 'load'],
      ['torch.serialization', 'load'],
      ['collections', 'OrderedDict.fromkeys'],
    ]) {
      const pickle = new Pickle().proto().orderedDict().mark().str('x').global(m, n).str('1+1').raw(0x85).reduce().raw(0x75).stop().bytes();
      rejects(zipOf(pickle), new RegExp(`it calls ${`${m}.${n}`.replace(/\./g, '\\.')}, which is not`));
    }
  });

  test('STACK_GLOBAL (protocol 4) is checked against the same allow-list', () => {
    const pickle = new Pickle().proto(4).raw(0x8c, 5).ascii('posix').raw(0x8c, 6).ascii('system').raw(0x93).stop().bytes();
    rejects(zipOf(pickle), /it calls posix\.system/);
    const bad = new Pickle().proto(4).int(1).int(2).raw(0x93).stop().bytes();
    rejects(zipOf(bad), /STACK_GLOBAL needs a module and a name as strings/);
  });

  test('INST, OBJ, NEWOBJ and NEWOBJ_EX are refused', () => {
    rejects(zipOf(new Pickle().proto().mark().str('id').raw(0x69).ascii('os\nsystem\n').stop().bytes()), /constructs an object os\.system with opcode INST/);
    rejects(zipOf(new Pickle().proto().mark().global('collections', 'OrderedDict').raw(0x6f).stop().bytes()), /opcode OBJ/);
    rejects(zipOf(new Pickle().proto().global('collections', 'OrderedDict').emptyTuple().raw(0x81).stop().bytes()), /opcode NEWOBJ/);
    rejects(zipOf(new Pickle().proto(4).global('collections', 'OrderedDict').emptyTuple().raw(0x7d, 0x92).stop().bytes()), /opcode NEWOBJ_EX/);
  });

  test('an allowed global may only be called as intended', () => {
    rejects(zipOf(new Pickle().proto().global('torch', 'FloatStorage').emptyTuple().reduce().stop().bytes()), /calls torch\.FloatStorage, which a state dict never calls/);
    rejects(zipOf(new Pickle().proto().str('x').emptyTuple().reduce().stop().bytes()), /REDUCE calls the str "x", which is not a function/);
    rejects(zipOf(new Pickle().proto().global('collections', 'OrderedDict').int(3).reduce().stop().bytes()), /REDUCE needs an argument tuple/);
    rejects(zipOf(new Pickle().proto().raw(0x5d).raw(0x7d).raw(0x62).stop().bytes()), /BUILD on a list/);
    rejects(zipOf(new Pickle().proto().global('torch._utils', '_rebuild_tensor_v2').ints([1, 2]).reduce().stop().bytes()), /takes 6 to 7 arguments, found 2/);
  });

  test('unknown and unsupported opcodes', () => {
    rejects(zipOf(new Pickle().proto().raw(0xff).stop().bytes()), /unknown pickle opcode 0xff/);
    rejects(zipOf(new Pickle().proto().ascii('I12\n').stop().bytes()), /unsupported pickle opcode INT \(0x49\)/);
    rejects(zipOf(new Pickle().proto().raw(0x82, 1).stop().bytes()), /unsupported pickle opcode EXT1/);
    rejects(zipOf(new Pickle().proto().ascii('P1\n').stop().bytes()), /unsupported pickle opcode PERSID/);
    rejects(zipOf(new Pickle().proto(9).stop().bytes()), /pickle protocol 9/);
  });

  test('memo, stack and mark misuse', () => {
    rejects(zipOf(new Pickle().proto().get(3).stop().bytes()), /memo key 3 is read before it was written/);
    rejects(zipOf(new Pickle().proto().raw(0x6a, 0xff, 0xff, 0xff, 0xff).stop().bytes()), /memo key 4294967295/);
    rejects(zipOf(new Pickle().proto().raw(0x71, 0).stop().bytes()), /a memo PUT needs a value but the stack is empty/);
    rejects(zipOf(new Pickle().proto().tuple().stop().bytes()), /TUPLE needs a MARK/);
    rejects(zipOf(new Pickle().proto().mark().raw(0x85).stop().bytes()), /TUPLE1 needs a value but the stack is empty \(or at a MARK\)/);
    rejects(zipOf(new Pickle().proto().int(1).int(2).stop().bytes()), /STOP with 2 values on the stack/);
    rejects(zipOf(new Pickle().proto().mark().int(1).stop().bytes()), /STOP with a MARK still open/);
    rejects(zipOf(new Pickle().proto().raw(0x5d).int(1).int(2).raw(0x73).stop().bytes()), /SETITEM on a list of length 0; only dicts are supported/);
    rejects(zipOf(new Pickle().proto().raw(0x7d).int(1).raw(0x61).stop().bytes()), /APPEND on a dict of 0 items; only lists are supported/);
    rejects(zipOf(new Pickle().proto().raw(0x7d).emptyTuple().int(1).raw(0x73).stop().bytes()), /dict keys must be str, int, bool or None; found a tuple/);
    const marks = new Pickle().proto();
    for (let i = 0; i <= PICKLE_LIMITS.maxMarks; i++) marks.mark();
    rejects(zipOf(marks.stop().bytes()), /more than 100000 MARKs are open/);
  });

  test('a truncated pickle is refused at every cut', () => {
    const pickle = stateDictPickle([{ name: 'w', key: '0', numel: 2, size: [2], stride: [1] }]);
    for (let cut = 0; cut < pickle.length; cut++) {
      rejects(zipOf(pickle.subarray(0, cut)), /ends|needs|STOP|empty|MARK|runs past|not a GLOBAL|state dict/);
    }
  });

  test('huge length prefixes are checked against the bytes that remain', () => {
    rejects(zipOf(new Pickle().proto().raw(0x58, 0xff, 0xff, 0xff, 0xff).ascii('abc').stop().bytes()), /a string of 4294967295 bytes runs past the end of the pickle/);
    rejects(zipOf(new Pickle().proto().raw(0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80).stop().bytes()), /a string of Infinity bytes runs past/);
    rejects(zipOf(new Pickle().proto().raw(0x54, 0xff, 0xff, 0xff, 0xff).stop().bytes()), /negative length/);
    rejects(zipOf(new Pickle().proto().raw(0x8b, 0, 0, 0, 0x40).stop().bytes()), /an integer of 1073741824 bytes/);
    rejects(zipOf(new Pickle().proto(4).raw(0x95, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0).stop().bytes()), /a FRAME of 4294967295 bytes runs past/);
    rejects(zipOf(new Pickle().proto().raw(0x63).ascii('a'.repeat(5000)).stop().bytes()), /not a line of at most 1024 bytes/);
    rejects(zipOf(new Pickle().proto().raw(0x58, 2, 0, 0, 0, 0xc3, 0x28).stop().bytes()), /not valid UTF-8/);
  });

  test('tensor metadata is validated against the storage', () => {
    const one = (t: Partial<TensorSpec>, storage = f32([1, 2, 3, 4])): Uint8Array =>
      torchZip(stateDictPickle([{ name: 'w', key: '0', numel: 4, size: [4], stride: [1], ...t }]), { '0': storage });
    rejects(one({ size: [5] }), /tensor "w": the view \(offset 0, size \[5\], stride \[1\]\) reaches element 4 but its storage "0" holds 4 float32 elements/);
    rejects(one({ offset: 3, size: [2] }), /reaches element 4/);
    rejects(one({ size: [2, 2], stride: [2, 2] }), /reaches element 4/);
    rejects(one({ size: [2 ** 40, 2 ** 40], stride: [2 ** 40, 1] }), /reaches element/);
    rejects(one({ numel: 5 }), /should hold 5 float32 elements \(20 bytes\), but archive\/data\/0 has 16 bytes/);
    rejects(one({ key: '1' }), /storage "1" has no archive\/data\/1 entry/);
    rejects(one({ size: [2], stride: [1, 1] }), /different lengths/);
    rejects(one({ size: new Array(65).fill(1), stride: new Array(65).fill(1) }), /65 dimensions, over the limit of 64/);
    rejects(one({ storageType: 'ComplexFloatStorage' }), /complex64 tensors \(torch\.ComplexFloatStorage\), which tokentag does not load/);
    rejects(one({ storageType: 'Float8Storage' }), /it calls torch\.Float8Storage/);
    rejects(one({ size: [2 ** 31], stride: [0] }), /would exceed the limit on total tensor bytes/);
    rejects(one({ storageType: 'BoolStorage' }, Uint8Array.from([1, 0, 2, 1])), /bool element 2 is the byte 2/);
    // One storage referred to as two types.
    const twice = stateDictPickle([
      { name: 'a', key: '0', numel: 4, size: [4], stride: [1] },
      { name: 'b', storageType: 'IntStorage', key: '0', numel: 4, size: [4], stride: [1] },
    ]);
    rejects(torchZip(twice, { '0': f32([1, 2, 3, 4]) }), /two different types or sizes/);
  });

  test('many tensors over one storage cannot multiply memory without bound', () => {
    const n = 100;
    const tensors: TensorSpec[] = [];
    for (let i = 0; i < n; i++) tensors.push({ name: `t${i}`, key: '0', numel: 262144, size: [512, 512], stride: [1, 512] });
    const bytes = torchZip(stateDictPickle(tensors), { '0': new Uint8Array(1 << 20) });
    rejects(bytes, /tensor "t\d+": materialising it \(1048576 bytes\) would exceed the limit on total tensor bytes/);
  });

  test('OrderedDict with arguments and oversized torch.Size are refused; torch.Size itself works', () => {
    rejects(zipOf(new Pickle().proto().global('collections', 'OrderedDict').raw(0x5d).raw(0x85).reduce().stop().bytes()), /collections\.OrderedDict takes 0 arguments, found 1/);
    const long = new Pickle().proto().global('torch', 'Size').mark();
    for (let i = 0; i < 65; i++) long.int(1);
    rejects(zipOf(long.tuple().raw(0x85).reduce().stop().bytes()), /torch\.Size of 65 dimensions/);
    const p = new Pickle().proto().orderedDict().mark().str('w').global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(2).tuple().raw(0x51);
    p.int(0).global('torch', 'Size').ints([2]).raw(0x85).reduce().ints([1]).bool(false).orderedDict().tuple().reduce();
    assert.deepEqual(values(parsePytorchBin(zipOf(p.raw(0x75).stop().bytes())).tensors.get('w')), [1, 2]);
  });

  test('what is not a state dict of tensors is refused with a clear message', () => {
    rejects(zipOf(new Pickle().proto().int(3).stop().bytes()), /holds the int 3, not a state dict/);
    rejects(zipOf(new Pickle().proto().raw(0x7d).str('epoch').int(3).raw(0x73).stop().bytes()), /tensor "epoch": holds the int 3, not a tensor/);
    rejects(zipOf(new Pickle().proto().raw(0x7d).int(1).raw(0x7d).raw(0x73).stop().bytes()), /state dict keys must be strings/);
    const modulePid = new Pickle().proto().mark().str('module').str('x').tuple().raw(0x51).stop().bytes();
    rejects(zipOf(modulePid), /saves a whole module/);
    rejects(zipOf(new Pickle().proto().int(1).raw(0x51).stop().bytes()), /a persistent id must be a tuple/);
    rejects(zipOf(new Pickle().proto().mark().str('storage').str('FloatStorage').str('0').str('cpu').int(2).tuple().raw(0x51).stop().bytes()), /storage type must be a torch storage class/);
    rejects(zipOf(new Pickle().proto().mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(-2).tuple().raw(0x51).stop().bytes()), /storage size must be a non-negative integer/);
  });

  test('a TorchScript archive, a tar checkpoint and random bytes are named as such', () => {
    const ts = makeZip([
      { name: 'model/data.pkl', data: new Pickle().proto().int(1).stop().bytes() },
      { name: 'model/constants.pkl', data: new Pickle().proto().emptyTuple().stop().bytes() },
      { name: 'model/code/__torch__.py', data: Buffer.from('def f(): pass') },
    ]);
    rejects(ts, /TorchScript archive/);
    const tsGlobal = zipOf(new Pickle().proto().global('__torch__.transformers', 'BertModel').stop().bytes());
    rejects(tsGlobal, /TorchScript class __torch__\.transformers\.BertModel/);
    const tar = new Uint8Array(1024);
    tar.set(Buffer.from('ustar'), 257);
    rejects(tar, /tar-based checkpoint format of torch < 0\.4/);
    rejects(Buffer.from('hello world'), /not a PyTorch checkpoint/);
    rejects(new Uint8Array(0), /not a PyTorch checkpoint/);
    rejects(new Pickle().proto().int(7).stop().bytes(), /not a PyTorch checkpoint/);
    rejects(makeZip([{ name: 'x.txt', data: Buffer.from('x') }]), /no <archive>\/data\.pkl entry/);
    rejects(
      makeZip([
        { name: 'a/data.pkl', data: Buffer.from('x') },
        { name: 'b/data.pkl', data: Buffer.from('x') },
      ]),
      /2 data\.pkl entries/,
    );
    rejects(
      makeZip([
        { name: 'a/data.pkl', data: stateDictPickle([]) },
        { name: 'a/byteorder', data: Buffer.from('middle') },
      ]),
      /expected "little" or "big"/,
    );
  });

  test('zip structure: offsets and sizes outside the file, CRC mismatches, duplicate names', () => {
    const good = basicZip();
    const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
    const eocd = good.length - 22;
    const cdOffset = dv(good).getUint32(eocd + 16, true);
    const patch = (at: number, v: number, width: 2 | 4 = 4): Uint8Array => {
      const b = Uint8Array.from(good);
      if (width === 4) dv(b).setUint32(at, v, true);
      else dv(b).setUint16(at, v, true);
      return b;
    };
    rejects(good.subarray(0, good.length - 1), /no end-of-central-directory record/);
    rejects(patch(eocd + 16, 0xffffffff), /ZIP64 end-of-central-directory locator is missing/);
    rejects(patch(eocd + 16, good.length), /central directory .* runs past its end record/);
    rejects(patch(eocd + 16, 0xfffffff0), /the central directory \[4294967280, \d+\) runs past its end record/);
    rejects(patch(eocd + 10, 9, 2), /central directory entry 5 runs past|bad signature/);
    rejects(patch(cdOffset + 42, 0x7fffffff), /local header at 2147483647 is outside the file's data area/);
    rejects(patch(cdOffset + 42, 1), /local header at 1 has a bad signature/);
    rejects(patch(cdOffset + 20, 0x7fffff00), /stored entry "archive\/data\.pkl" declares 2147483392 compressed but/);
    const both = patch(cdOffset + 20, 0x7fffff00);
    dv(both).setUint32(cdOffset + 24, 0x7fffff00, true);
    rejects(both, /data \[\d+, \d+\) runs past the data area/);
    rejects(patch(cdOffset + 10, 12, 2), /compression method 12/);
    rejects(patch(cdOffset + 8, 1, 2), /is encrypted/);
    rejects(patch(cdOffset + 16, 0x12345678), /"archive\/data\.pkl" fails its CRC-32 check/);
    const dup = makeZip([
      { name: 'archive/data.pkl', data: stateDictPickle([]) },
      { name: 'archive/data.pkl', data: stateDictPickle([]) },
    ]);
    rejects(dup, /appears more than once/);
    // A stored storage entry whose bytes were altered fails its CRC before any tensor is built.
    const flipped = Uint8Array.from(good);
    const at = Buffer.from(flipped).indexOf(Buffer.from(f32([1, 2, 3, 4, 5, 6])));
    flipped[at] ^= 1;
    rejects(flipped, /"archive\/data\/0" fails its CRC-32 check/);
  });

  test('a deflate bomb stops at the declared size', () => {
    const big = new Uint8Array(64 << 20); // 64 MiB of zeros deflates to ~64 KB
    const pickle = stateDictPickle([]);
    const bomb = makeZip([
      { name: 'archive/data.pkl', data: pickle },
      { name: 'archive/byteorder', data: big, deflate: true, declaredSize: 6, crc: crc32(Buffer.from('little')) >>> 0 },
    ]);
    // The output cap, not the size check after a full inflation, stops it: that path names the
    // cap ("larger than 7 bytes"); inflating all 64 MiB would end in "inflates to 67108864 bytes".
    // (How long it takes is bench material, not a unit test's.)
    rejects(bomb, /"archive\/byteorder" does not inflate to its declared 6 bytes \(Cannot create a Buffer larger than 7 bytes\)/);
    const huge = makeZip([
      { name: 'archive/data.pkl', data: pickle },
      { name: 'archive/byteorder', data: Buffer.from('little'), deflate: true, declaredSize: MAX_INFLATED_BYTES + 1 },
    ]);
    rejects(huge, /"archive\/byteorder" declares 1073741825 uncompressed bytes, over the 1073741824-byte limit/);
    const hugePickle = makeZip([{ name: 'archive/data.pkl', data: pickle, deflate: true, declaredSize: PICKLE_LIMITS.maxPickleBytes + 1 }]);
    rejects(hugePickle, /archive\/data\.pkl is 268435457 bytes, over the 268435456-byte limit/);
    const short = makeZip([{ name: 'archive/data.pkl', data: pickle, deflate: true, declaredSize: pickle.length + 10 }]);
    rejects(short, /inflates to \d+ bytes, but the archive declares/);
    const garbage = makeZip([{ name: 'archive/data.pkl', data: pickle }]);
    const g = Uint8Array.from(garbage);
    new DataView(g.buffer).setUint16(g.length - 22 - 46 - 'archive/data.pkl'.length + 10, 8, true); // claim deflate
    rejects(g, /does not inflate/);
  });

  test('openZip lists entries and reads them', () => {
    const z = openZip(basicZip(), 'x.zip');
    assert.deepEqual([...z.entries.keys()], ['archive/data.pkl', 'archive/byteorder', 'archive/data/0', 'archive/data/1', 'archive/version']);
    assert.equal(Buffer.from(z.read('archive/version')).toString(), '3\n');
    assert.equal(z.entries.get('archive/data/0')!.dataStart % 64, 0);
    assert.throws(() => z.read('nope'), CheckpointError);
  });
});

describe('pytorch_model.bin: fuzzing', () => {
  const validZip = basicZip();
  const validPickle = stateDictPickle([
    { name: 'dense.weight', key: '0', numel: 6, size: [2, 3], stride: [3, 1] },
    { name: 't', key: '0', numel: 6, size: [3, 2], stride: [1, 3], parameter: true },
    { name: 'dense.bias', storageType: 'HalfStorage', key: '1', numel: 2, size: [2], stride: [1] },
  ]);
  const storages = { '0': f32([1, 2, 3, 4, 5, 6]), '1': Uint8Array.from([0, 0x3c, 0, 0xc0]) };
  const validLegacy = legacyFile(
    stateDictPickle(
      [
        { name: 'w', key: '3', numel: 4, size: [2, 2], stride: [1, 2] },
        { name: 'b', key: '3', numel: 4, offset: 2, size: [2], stride: [1] },
      ],
      true,
    ),
    [['3', 4, f32([1, 2, 3, 4])]],
  );

  const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
  const mutate = (bytes: Uint8Array, edits: [number, number][]): Uint8Array => {
    const b = Uint8Array.from(bytes);
    for (const [i, v] of edits) b[i % b.length] = v;
    return b;
  };
  const succeedsOrCheckpointError = (bytes: Uint8Array): void => {
    try {
      parsePytorchBin(bytes, 'fuzz.bin');
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
    }
  };

  test('sanity: the fuzzing inputs are valid', () => {
    assert.equal(parsePytorchBin(torchZip(validPickle, storages)).tensors.size, 3);
    assert.equal(parsePytorchBin(validLegacy).tensors.size, 2);
  });

  test('mutated zip archives parse or throw CheckpointError', () => {
    fc.assert(fc.property(mutation, (edits) => succeedsOrCheckpointError(mutate(validZip, edits))), { numRuns: 2000 });
  });

  test('mutated pickles (re-zipped with a correct CRC) parse or throw CheckpointError', () => {
    fc.assert(
      fc.property(mutation, fc.nat({ max: validPickle.length }), (edits, cut) => {
        succeedsOrCheckpointError(torchZip(mutate(validPickle, edits), storages));
        succeedsOrCheckpointError(torchZip(mutate(validPickle, edits).subarray(0, cut), storages));
      }),
      { numRuns: 3000 },
    );
  });

  test('mutated legacy files parse or throw CheckpointError', () => {
    fc.assert(fc.property(mutation, (edits) => succeedsOrCheckpointError(mutate(validLegacy, edits))), { numRuns: 3000 });
  });

  test('random opcode soup parses or throws CheckpointError', () => {
    const soup = fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([0x80, 2, ...b]));
    fc.assert(
      fc.property(soup, (b) => {
        succeedsOrCheckpointError(torchZip(b, storages));
        succeedsOrCheckpointError(b);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Fixtures written by real torch.save (committed; a missing one fails the test)
// ---------------------------------------------------------------------------------------------

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'models');
const BIN_DIR = path.join(FIXTURES, 'pytorch-bin');
const fixture = (name: string): string => path.join(BIN_DIR, name);
const need = (...files: string[]): void => requireFixtures('regenerate with /usr/bin/python3 scripts/make-model-fixtures.py (Debian python3-torch; see test/fixtures/models/README.md)', ...files);

describe('pytorch_model.bin: torch-generated fixtures', () => {
  // See test/fixtures/models/README.md: written by torch.save (torch 1.13, pickle protocol 2).
  const expectedFile = fixture('expected.json');
  const expected = (): Record<string, Record<string, { dtype: string; shape: number[]; storage_offset: number; stride: number[]; values: unknown }>> =>
    JSON.parse(fs.readFileSync(expectedFile, 'utf8'));
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  const safetensors = path.join(FIXTURES, 'bert', 'model.safetensors');
  const zipBin = fixture('pytorch_model.bin');
  const legacyBin = fixture('pytorch_model.legacy.bin');

  const sameAsSafetensors = (file: string, format: 'zip' | 'legacy'): void => {
    const bin = readPytorchBin(file);
    assert.equal(bin.format, format);
    const ref = readSafetensors(safetensors);
    assert.equal(bin.tensors.size, 39);
    assert.deepEqual(new Set(bin.tensors.keys()), new Set(ref.tensors.keys()));
    for (const [name, t] of ref.tensors) {
      const got = bin.tensors.get(name)!;
      assert.equal(got.dtype, t.dtype, name);
      assert.deepEqual(got.dims, t.dims, name);
      // Bit-exact: compare the raw bytes.
      assert.ok(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), name);
    }
  };

  test('the zip-format BERT state dict matches bert/model.safetensors bit for bit', () => {
    need(zipBin, safetensors);
    sameAsSafetensors(zipBin, 'zip');
  });

  test('the legacy-format BERT state dict matches bert/model.safetensors bit for bit', () => {
    need(legacyBin, safetensors);
    sameAsSafetensors(legacyBin, 'legacy');
  });

  for (const name of ['float16.bin', 'shared-storage.bin']) {
    test(`${name} matches expected.json (dtype, shape, values)`, () => {
      need(fixture(name), expectedFile);
      const want = expected()[name];
      const { tensors } = readPytorchBin(fixture(name));
      assert.deepEqual([...tensors.keys()], Object.keys(want));
      for (const [k, w] of Object.entries(want)) {
        const t = tensors.get(k)!;
        assert.deepEqual(t.dims, w.shape, k);
        assert.equal(t.dtype, w.dtype === 'float16' ? 'float32' : w.dtype, k);
        const got = values(t);
        const exp = flat(w.values);
        assert.equal(got.length, exp.length, k);
        // Object.is: -0 must stay -0 through the float16 conversion.
        got.forEach((g, i) => assert.ok(Object.is(g, exp[i]), `${k}[${i}]: ${g} !== ${exp[i]}`));
      }
    });
  }

  for (const name of ['malicious-os-system.bin', 'malicious-builtins-exec.bin']) {
    test(`${name} is refused, naming the global it calls`, () => {
      need(fixture(name), expectedFile);
      const want = expected()[name] as unknown as { refuse: boolean; global: string };
      assert.equal(want.refuse, true);
      // Python 3 writes protocol-2 pickles with Python 2 module names: builtins → __builtin__.
      const fn = want.global.split(' ')[1];
      assert.throws(
        () => readPytorchBin(fixture(name)),
        (e: unknown) =>
          e instanceof CheckpointError && e.file === fixture(name) && new RegExp(`refusing to load: it calls (posix|builtins|__builtin__)\\.${fn}, which is not a tensor-rebuild function`).test(e.message),
      );
    });
  }
});
