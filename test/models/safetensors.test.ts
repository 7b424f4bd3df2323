import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  CheckpointError,
  MAX_HEADER_BYTES,
  parseSafetensors,
  readSafetensors,
  readSafetensorsAsync,
  readSafetensorsHeader,
  readShardedSafetensors,
  serializeSafetensors,
  writeSafetensors,
  type LoadedTensor,
} from '../../src/models/safetensors.ts';
import {
  bfloat16ToNumber,
  float16BitsToFloat32Bits,
  float16ToNumber,
  float32BitsToFloat16Bits,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from '../../src/models/half.ts';
import type { TensorData } from '../../src/engine/dtype.ts';

// Written by Python `safetensors` 0.8.0 (safetensors.numpy.save) with metadata {"format": "pt"}:
// w f32 [[1,-2.5,3.25],[0.5,65504,-0]], h f16 [1,-2.5,65504,6e-8,inf], ids i64 [-1, 2^40],
// i32 [7,-8], i16 [-32768,32767], i8 [-128], u8 [255,0], mask bool [T,F,T], d f64 [0.1], empty f32 [0,3].
const PYTHON_FILE = Buffer.from(
  'WAIAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJpZHMiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOlswLDE2XX0sImQiOnsiZHR5cGUiOiJGNjQiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlsxNiwyNF19LCJlbXB0eSI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMCwzXSwiZGF0YV9vZmZzZXRzIjpbMjQsMjRdfSwidyI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbMjQsNDhdfSwiaTMyIjp7ImR0eXBlIjoiSTMyIiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbNDgsNTZdfSwiaCI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbNV0sImRhdGFfb2Zmc2V0cyI6WzU2LDY2XX0sImkxNiI6eyJkdHlwZSI6IkkxNiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzY2LDcwXX0sImk4Ijp7ImR0eXBlIjoiSTgiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOls3MCw3MV19LCJ1OCI6eyJkdHlwZSI6IlU4Iiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbNzEsNzNdfSwibWFzayI6eyJkdHlwZSI6IkJPT0wiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOls3Myw3Nl19fSD//////////wAAAAAAAQAAmpmZmZmZuT8AAIA/AAAgwAAAUEAAAAA/AOB/RwAAAIAHAAAA+P///wA8AMH/ewEAAHwAgP9/gP8AAQAB',
  'base64',
);

// Written by Python `safetensors` 0.8.0 from exactly the tensors of `writerTensors()` below.
const PYTHON_WRITER_BYTES = Buffer.from(
  'aAIAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCJ9LCJpZHMiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOlswLDE2XX0sImQiOnsiZHR5cGUiOiJGNjQiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlsxNiwyNF19LCJhLmJpYXMiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlsyNCwyOF19LCJiLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwyXSwiZGF0YV9vZmZzZXRzIjpbMjgsNDRdfSwiZW1wdHkiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzAsM10sImRhdGFfb2Zmc2V0cyI6WzQ0LDQ0XX0sImkzMiI6eyJkdHlwZSI6IkkzMiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzQ0LDUyXX0sImgiOnsiZHR5cGUiOiJGMTYiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOls1Miw1Nl19LCJpOCI6eyJkdHlwZSI6Ikk4Iiwic2hhcGUiOlsxXSwiZGF0YV9vZmZzZXRzIjpbNTYsNTddfSwidTgiOnsiZHR5cGUiOiJVOCIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6WzU3LDYwXX0sIm1hc2siOnsiZHR5cGUiOiJCT09MIiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbNjAsNjJdfX0gICAgICAg//////////8AAAAAAAEAAJqZmZmZmbk/AACAPgAAgD8AACDAAAAAPwAAQEAHAAAA+P///wA8AMGA/wABAQA=',
  'base64',
);

function writerTensors(): Map<string, TensorData> {
  return new Map<string, TensorData>([
    ['b.weight', { dtype: 'float32', dims: [2, 2], data: new Float32Array([1, -2.5, 0.5, 3]) }],
    ['a.bias', { dtype: 'float32', dims: [1], data: new Float32Array([0.25]) }],
    ['h', { dtype: 'float16', dims: [2], data: new Uint16Array([0x3c00, 0xc100]) }],
    ['ids', { dtype: 'int64', dims: [2], data: new BigInt64Array([-1n, 2n ** 40n]) }],
    ['i32', { dtype: 'int32', dims: [2], data: new Int32Array([7, -8]) }],
    ['i8', { dtype: 'int8', dims: [1], data: new Int8Array([-128]) }],
    ['u8', { dtype: 'uint8', dims: [3], data: new Uint8Array([255, 0, 1]) }],
    ['mask', { dtype: 'bool', dims: [2], data: new Uint8Array([1, 0]) }],
    ['d', { dtype: 'float64', dims: [1], data: new Float64Array([0.1]) }],
    ['empty', { dtype: 'float32', dims: [0, 3], data: new Float32Array(0) }],
  ]);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

/** A file from a raw header (object or exact JSON text) and data bytes; `n` overrides the length prefix. */
function build(header: unknown, data: Uint8Array | number[] = [], n?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(n ?? BigInt(json.length));
  return new Uint8Array(Buffer.concat([prefix, json, Buffer.from(data as Uint8Array)]));
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-st-'));
}

function rejects(bytes: Uint8Array, pattern: RegExp, tensor?: string): void {
  assert.throws(
    () => parseSafetensors(bytes, 'ckpt.safetensors'),
    (e: unknown) => {
      assert.ok(e instanceof CheckpointError, `expected CheckpointError, got ${String(e)}`);
      assert.match(e.message, /^ckpt\.safetensors: /);
      assert.match(e.message, pattern);
      assert.equal(e.tensor, tensor);
      return true;
    },
  );
}

function bitsOf(t: LoadedTensor): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

describe('reading files written by Python safetensors', () => {
  test('every dtype comes back with the right values, dims and metadata', () => {
    const { tensors, metadata } = parseSafetensors(new Uint8Array(PYTHON_FILE), 'py.safetensors');
    assert.deepEqual(metadata, { format: 'pt' });
    const get = (n: string) => tensors.get(n)!;
    assert.equal(get('w').dtype, 'float32');
    assert.deepEqual(get('w').dims, [2, 3]);
    assert.deepEqual([...(get('w').data as Float32Array)], [1, -2.5, 3.25, 0.5, 65504, -0]);
    assert.ok(Object.is((get('w').data as Float32Array)[5], -0));
    assert.equal(get('h').dtype, 'float32');
    // float16(6e-8) is the smallest subnormal, 2^-24.
    assert.deepEqual([...(get('h').data as Float32Array)], [1, -2.5, 65504, 2 ** -24, Infinity]);
    assert.deepEqual(get('ids'), { dtype: 'int64', dims: [2], data: new BigInt64Array([-1n, 2n ** 40n]) });
    assert.deepEqual(get('i32'), { dtype: 'int32', dims: [2], data: new Int32Array([7, -8]) });
    assert.deepEqual(get('i16'), { dtype: 'int32', dims: [2], data: new Int32Array([-32768, 32767]) });
    assert.deepEqual(get('i8'), { dtype: 'int8', dims: [1], data: new Int8Array([-128]) });
    assert.equal(get('u8').dtype, 'uint8');
    assert.deepEqual([...get('u8').data], [255, 0]);
    assert.equal(get('mask').dtype, 'bool');
    assert.deepEqual([...get('mask').data], [1, 0, 1]);
    assert.equal(get('d').dtype, 'float32');
    assert.equal((get('d').data as Float32Array)[0], Math.fround(0.1));
    assert.deepEqual(get('empty').dims, [0, 3]);
    assert.equal(get('empty').data.length, 0);
    // Tensors come back in file (offset) order.
    assert.deepEqual([...tensors.keys()], ['ids', 'd', 'empty', 'w', 'i32', 'h', 'i16', 'i8', 'u8', 'mask']);
  });

  test('float64: "float64" keeps F64 exactly', () => {
    const { tensors } = parseSafetensors(new Uint8Array(PYTHON_FILE), 'py.safetensors', { float64: 'float64' });
    assert.deepEqual(tensors.get('d'), { dtype: 'float64', dims: [1], data: new Float64Array([0.1]) });
  });

  test('the writer produces the same bytes as the Python writer', () => {
    assert.deepEqual(Buffer.from(concat(serializeSafetensors(writerTensors(), { format: 'pt' }))), PYTHON_WRITER_BYTES);
  });

  test('the writer matches the reference crate\'s own serialisation test vectors', () => {
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    // 64-byte header: no padding needed.
    const a = concat(serializeSafetensors({ 'attn.0': { dtype: 'float32', dims: [1, 2, 3], data } }));
    const headerA = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    assert.equal(headerA.length, 64);
    assert.deepEqual(Buffer.from(a), Buffer.from(build(headerA, new Uint8Array(data.buffer))));
    // 65-byte header: padded with 7 spaces to 72 so the data stays 8-byte aligned.
    const b = concat(serializeSafetensors({ attn0: { dtype: 'float32', dims: [1, 1, 2, 3], data } }));
    const headerB = `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}${' '.repeat(7)}`;
    assert.deepEqual(Buffer.from(b), Buffer.from(build(headerB, new Uint8Array(data.buffer))));
    // No tensors, no metadata: "{}" and six spaces.
    assert.deepEqual([...concat(serializeSafetensors({}))], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  });
});

describe('round trip', () => {
  test('write → read is bit-identical for every dtype, including NaN payloads and extremes', () => {
    const dir = tmpdir();
    try {
      const f32 = new Float32Array([0, -0, 1.5, -3.4028234663852886e38, 1e-45, Infinity, -Infinity]);
      const nanBits = new Uint32Array([0x7fc00001, 0xffbfffff]); // quiet NaN with payload, negative signalling-ish NaN
      const withNan = new Float32Array(f32.length + 2);
      withNan.set(f32);
      new Uint32Array(withNan.buffer).set(nanBits, f32.length);
      const tensors = new Map<string, TensorData>([
        ['f32', { dtype: 'float32', dims: [3, 3], data: withNan }],
        ['f64', { dtype: 'float64', dims: [2], data: new Float64Array([Math.PI, -Number.MIN_VALUE]) }],
        ['i64', { dtype: 'int64', dims: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n]) }],
        ['i32', { dtype: 'int32', dims: [2, 1], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) }],
        ['i8', { dtype: 'int8', dims: [3], data: new Int8Array([-128, 0, 127]) }],
        ['u8', { dtype: 'uint8', dims: [1], data: new Uint8Array([200]) }],
        ['flag', { dtype: 'bool', dims: [2], data: new Uint8Array([0, 1]) }],
        ['scalar', { dtype: 'float32', dims: [], data: new Float32Array([42]) }],
        ['zero', { dtype: 'int64', dims: [4, 0], data: new BigInt64Array(0) }],
        ['名前.ü', { dtype: 'float32', dims: [1], data: new Float32Array([7]) }],
      ]);
      const file = path.join(dir, 'model.safetensors');
      writeSafetensors(file, tensors, { format: 'pt', note: 'héllo "quoted"' });
      const loaded = readSafetensors(file, { float64: 'float64' });
      assert.deepEqual(loaded.metadata, { format: 'pt', note: 'héllo "quoted"' });
      assert.deepEqual(new Set(loaded.tensors.keys()), new Set(tensors.keys()));
      for (const [name, t] of tensors) {
        const got = loaded.tensors.get(name)!;
        assert.equal(got.dtype, t.dtype, name);
        assert.deepEqual(got.dims, t.dims, name);
        assert.deepEqual(Buffer.from(bitsOf(got)), Buffer.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)), name);
      }
      // The file on disk is exactly what serializeSafetensors produces, and the header is padded to 8.
      const bytes = fs.readFileSync(file);
      assert.deepEqual(bytes, Buffer.from(concat(serializeSafetensors(tensors, { note: 'héllo "quoted"', format: 'pt' }))));
      assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0);
      assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('float16 tensors (raw bits) are written as F16 and read back as float32', () => {
    const bytes = concat(serializeSafetensors({ h: { dtype: 'float16', dims: [2], data: new Uint16Array([0x3c00, 0x7c00]) } }));
    const t = parseSafetensors(bytes).tensors.get('h')!;
    assert.deepEqual(t, { dtype: 'float32', dims: [2], data: new Float32Array([1, Infinity]) });
  });

  test('output is deterministic whatever the insertion order of tensors and metadata', () => {
    const a = writerTensors();
    const b = new Map([...a.entries()].reverse());
    assert.deepEqual(concat(serializeSafetensors(a, { x: '1', a: '2' })), concat(serializeSafetensors(b, { a: '2', x: '1' })));
  });

  test('aligned F32 tensors are views on one buffer holding just the data section (no extra copy)', () => {
    const dir = tmpdir();
    try {
      const file = path.join(dir, 'm.safetensors');
      writeSafetensors(file, {
        a: { dtype: 'float32', dims: [1000], data: new Float32Array(1000).fill(1) },
        b: { dtype: 'float32', dims: [500], data: new Float32Array(500).fill(2) },
      });
      const { tensors } = readSafetensors(file);
      const a = tensors.get('a')!.data as Float32Array;
      const b = tensors.get('b')!.data as Float32Array;
      assert.equal(a.buffer, b.buffer);
      assert.equal(a.buffer.byteLength, 6000);
      assert.equal(a[999], 1);
      assert.equal(b[0], 2);
      // parseSafetensors shares memory with the caller's bytes.
      const bytes = new Uint8Array(fs.readFileSync(file));
      const view = parseSafetensors(bytes).tensors.get('a')!.data as Float32Array;
      assert.equal(view.buffer, bytes.buffer);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('unaligned F32 / I64 data is copied and still correct', () => {
    const f = new Float32Array([1.25, -7]);
    const i = new BigInt64Array([-5n]);
    const data = Buffer.concat([Buffer.from([9]), Buffer.from(f.buffer), Buffer.from(i.buffer)]);
    const bytes = build(
      {
        u: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
        f: { dtype: 'F32', shape: [2], data_offsets: [1, 9] },
        i: { dtype: 'I64', shape: [1], data_offsets: [9, 17] },
      },
      data,
    );
    const { tensors } = parseSafetensors(bytes);
    assert.deepEqual([...(tensors.get('f')!.data as Float32Array)], [1.25, -7]);
    assert.notEqual(tensors.get('f')!.data.buffer, bytes.buffer);
    assert.deepEqual([...(tensors.get('i')!.data as BigInt64Array)], [-5n]);
  });

  test('readSafetensorsHeader reports entries and metadata without loading data', () => {
    const dir = tmpdir();
    try {
      const file = path.join(dir, 'm.safetensors');
      fs.writeFileSync(file, PYTHON_FILE);
      const h = readSafetensorsHeader(file);
      assert.equal(h.headerLength, PYTHON_FILE.readUInt32LE(0));
      assert.equal(h.dataStart + h.dataLength, PYTHON_FILE.length);
      assert.deepEqual(h.entries.find((e) => e.name === 'w'), { name: 'w', dtype: 'F32', shape: [2, 3], begin: 24, end: 48 });
      assert.deepEqual(h.metadata, { format: 'pt' });
      // readSafetensors from disk agrees with parseSafetensors in memory.
      assert.deepEqual(readSafetensors(file), parseSafetensors(new Uint8Array(PYTHON_FILE), file));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readSafetensorsAsync', () => {
  test('gives the same result as readSafetensors, large data read in parallel parts', async () => {
    const dir = tmpdir();
    try {
      const file = path.join(dir, 'm.safetensors');
      const big = new Float32Array((100 << 20) / 4 + 3); // > 3 parts of 32 MiB, not a multiple of the part size
      for (let i = 0; i < big.length; i += 1009) big[i] = i;
      big[big.length - 1] = -1;
      writeSafetensors(file, { big: { dtype: 'float32', dims: [big.length], data: big }, ids: { dtype: 'int64', dims: [1], data: new BigInt64Array([7n]) } }, { k: 'v' });
      const a = await readSafetensorsAsync(file);
      assert.deepEqual(a.metadata, { k: 'v' });
      assert.deepEqual(Buffer.from(bitsOf(a.tensors.get('big')!)), Buffer.from(big.buffer));
      assert.deepEqual([...(a.tensors.get('ids')!.data as BigInt64Array)], [7n]);
      fs.writeFileSync(file, PYTHON_FILE);
      assert.deepEqual(await readSafetensorsAsync(file), readSafetensors(file));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('validates like readSafetensors', async () => {
    const dir = tmpdir();
    try {
      const file = path.join(dir, 'bad.safetensors');
      fs.writeFileSync(file, build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)));
      await assert.rejects(readSafetensorsAsync(file), (e: unknown) => e instanceof CheckpointError && e.tensor === 'a' && /run past the data section/.test(e.message));
      fs.writeFileSync(file, build('{}', [], 2n ** 40n));
      await assert.rejects(readSafetensorsAsync(file), /exceeds the 100000000-byte limit/);
      await assert.rejects(readSafetensorsAsync(path.join(dir, 'missing')), (e: unknown) => e instanceof CheckpointError && /cannot open/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('float16 / bfloat16 conversion', () => {
  test('float16 hand-computed values', () => {
    assert.equal(float16ToNumber(0x3c00), 1);
    assert.equal(float16ToNumber(0xc100), -2.5);
    assert.equal(float16ToNumber(0x7bff), 65504);
    assert.equal(float16ToNumber(0x0001), 2 ** -24); // smallest subnormal
    assert.equal(float16ToNumber(0x03ff), 1023 * 2 ** -24); // largest subnormal
    assert.equal(float16ToNumber(0x0400), 2 ** -14); // smallest normal
    assert.equal(float16ToNumber(0x3555), 0.333251953125);
    assert.equal(float16ToNumber(0x7c00), Infinity);
    assert.equal(float16ToNumber(0xfc00), -Infinity);
    assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
    assert.ok(Number.isNaN(float16ToNumber(0xfc01)));
    assert.ok(Object.is(float16ToNumber(0x8000), -0));
  });

  test('bfloat16 hand-computed values', () => {
    assert.equal(bfloat16ToNumber(0x3f80), 1);
    assert.equal(bfloat16ToNumber(0xc020), -2.5);
    assert.equal(bfloat16ToNumber(0x477f), 65280);
    assert.equal(bfloat16ToNumber(0x0001), 2 ** -133); // smallest subnormal
    assert.equal(bfloat16ToNumber(0x0080), 2 ** -126); // smallest normal
    assert.equal(bfloat16ToNumber(0x7f80), Infinity);
    assert.equal(bfloat16ToNumber(0xff80), -Infinity);
    assert.ok(Number.isNaN(bfloat16ToNumber(0x7fc0)));
    assert.ok(Object.is(bfloat16ToNumber(0x8000), -0));
  });

  test('every float16 bit pattern widens to the exact value of the IEEE formula', () => {
    for (let h = 0; h < 0x10000; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      const expected = e === 0x1f ? (m ? NaN : sign * Infinity) : e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
      const got = float16ToNumber(h);
      if (Number.isNaN(expected)) assert.ok(Number.isNaN(got), `0x${h.toString(16)}`);
      else assert.ok(Object.is(got, expected), `0x${h.toString(16)}: ${got} != ${expected}`);
    }
  });

  test('narrowing inverts widening for every float16 and rounds to nearest even', () => {
    for (let h = 0; h < 0x10000; h++) {
      const back = float32BitsToFloat16Bits(float16BitsToFloat32Bits(h));
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) assert.ok((back & 0x7c00) === 0x7c00 && (back & 0x3ff) !== 0);
      else assert.equal(back, h, `0x${h.toString(16)}`);
    }
    const f16 = (x: number) => float32ToFloat16Bits(new Float32Array([x]))[0];
    assert.equal(f16(1 + 2 ** -11), 0x3c00); // tie → even (down)
    assert.equal(f16(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
    assert.equal(f16(65520), 0x7c00); // rounds to inf
    assert.equal(f16(65519), 0x7bff);
    assert.equal(f16(2 ** -25), 0x0000); // half the smallest subnormal: tie → 0
    assert.equal(f16(2 ** -25 * 1.5), 0x0001);
    assert.equal(f16(1e-10), 0);
    const bf = (x: number) => float32ToBfloat16Bits(new Float32Array([x]))[0];
    assert.equal(bf(1), 0x3f80);
    assert.equal(bf(-2.5), 0xc020);
    assert.equal(bf(1 + 2 ** -8), 0x3f80); // tie → even
    assert.equal(bf(1 + 3 * 2 ** -8), 0x3f82);
    assert.ok(Number.isNaN(bfloat16ToNumber(bf(NaN))));
  });

  test('F16 and BF16 tensors load as float32, aligned or not', () => {
    const f16 = [0x3c00, 0xc100, 0x7bff, 0x0001, 0x7c00, 0x7e00];
    const bf16 = [0x3f80, 0xc020, 0x477f, 0x0001, 0x7f80, 0x7fc0];
    const expected16 = [1, -2.5, 65504, 2 ** -24, Infinity, NaN];
    const expectedBf = [1, -2.5, 65280, 2 ** -133, Infinity, NaN];
    for (const pad of [0, 1]) {
      const data = Buffer.alloc(pad + 24);
      f16.forEach((v, i) => data.writeUInt16LE(v, pad + 2 * i));
      bf16.forEach((v, i) => data.writeUInt16LE(v, pad + 12 + 2 * i));
      const header: Record<string, unknown> = {
        h: { dtype: 'F16', shape: [2, 3], data_offsets: [pad, pad + 12] },
        b: { dtype: 'BF16', shape: [6], data_offsets: [pad + 12, pad + 24] },
      };
      if (pad) header.p = { dtype: 'U8', shape: [1], data_offsets: [0, 1] };
      const { tensors } = parseSafetensors(build(header, data));
      assert.equal(tensors.get('h')!.dtype, 'float32');
      assert.deepEqual(tensors.get('h')!.dims, [2, 3]);
      assert.deepEqual([...(tensors.get('h')!.data as Float32Array)], expected16);
      assert.deepEqual([...(tensors.get('b')!.data as Float32Array)], expectedBf);
    }
  });
});

describe('header validation', () => {
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const eight = new Uint8Array(8);

  test('a valid minimal file parses', () => {
    assert.equal(parseSafetensors(build(ok, eight)).tensors.size, 1);
  });
  test('truncated: fewer than 8 bytes', () => {
    rejects(new Uint8Array([1, 0, 0]), /the file has 3 bytes; a safetensors file starts with an 8-byte header length/);
  });
  test('header length larger than the file', () => {
    rejects(build(ok, eight, 5000n), /header length 5000 runs past the end of the file/);
  });
  test('huge header length (2^63) is refused before any allocation', () => {
    rejects(build(ok, eight, 2n ** 63n), /header length 9223372036854775808 exceeds the 100000000-byte limit/);
    rejects(build(ok, eight, BigInt(MAX_HEADER_BYTES + 1)), /exceeds the 100000000-byte limit/);
  });
  test('invalid UTF-8', () => {
    const bytes = build('{"a":1}', []);
    bytes[10] = 0xff;
    rejects(bytes, /the header is not valid UTF-8/);
  });
  test('invalid JSON', () => {
    rejects(build('{"a": {', []), /the header is not valid JSON/);
    rejects(build('', []), /the header is not valid JSON/);
  });
  test('JSON that is not an object', () => {
    rejects(build('[1,2]', []), /the header must be a JSON object, found an array/);
    rejects(build('"x"', []), /the header must be a JSON object, found the string "x"/);
  });
  test('tensor entry that is not an object', () => {
    rejects(build({ a: 5 }, []), /expected an object \{"dtype", "shape", "data_offsets"\}, found the number 5/, 'a');
  });
  test('unknown dtype, and valid-but-unsupported dtype', () => {
    rejects(build({ a: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }, eight), /unknown dtype "F33" \(expected one of F64, F32/, 'a');
    rejects(build({ a: { dtype: 'U32', shape: [2], data_offsets: [0, 8] } }, eight), /dtype U32 is not supported by tokentag/, 'a');
    rejects(build({ a: { dtype: 4, shape: [2], data_offsets: [0, 8] } }, eight), /"dtype" must be a string/, 'a');
  });
  test('negative, fractional or non-numeric shape', () => {
    rejects(build({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, eight), /"shape" must hold non-negative integers, found the number -2/, 'a');
    rejects(build({ a: { dtype: 'F32', shape: [2.5], data_offsets: [0, 8] } }, eight), /found the number 2.5/, 'a');
    rejects(build({ a: { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] } }, eight), /found the string "2"/, 'a');
    rejects(build({ a: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, eight), /"shape" must be an array/, 'a');
  });
  test('malformed data_offsets', () => {
    rejects(build({ a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, eight), /"data_offsets" must be two non-negative integers \[begin, end\], found \[0\]/, 'a');
    rejects(build({ a: { dtype: 'F32', shape: [2], data_offsets: [-8, 0] } }, eight), /"data_offsets" must be two non-negative integers/, 'a');
    rejects(build({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, eight), /"data_offsets" \[8, 0\] end before they begin/, 'a');
  });
  test('offsets out of range (also what a file truncated inside its data looks like)', () => {
    rejects(build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(5)), /"data_offsets" \[0, 8\] run past the data section, which has 5 bytes/, 'a');
    rejects(build({ a: { dtype: 'F32', shape: [2], data_offsets: [2 ** 53, 2 ** 53] } }, eight), /"data_offsets" must be two non-negative integers/, 'a');
  });
  test('byte count does not match shape × dtype size', () => {
    rejects(build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, eight), /shape \[3\] of F32 needs 12 bytes but "data_offsets" \[0, 8\] hold 8/, 'a');
    // A product past 2^53 is computed exactly, not wrapped to a plausible number.
    rejects(build({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 0.5e1], data_offsets: [0, 8] } }, eight), /needs 24178516392292583494123520 bytes/, 'a');
  });
  test('overlapping offsets', () => {
    rejects(
      build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight),
      /"data_offsets" \[4, 8\] overlap tensor "a" at \[0, 8\]/,
      'b',
    );
  });
  test('a gap between tensors', () => {
    rejects(
      build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)),
      /leave a gap: bytes \[4, 8\) of the data section belong to no tensor/,
      'b',
    );
    rejects(build({ b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight), /bytes \[0, 4\) of the data section belong to no tensor/, 'b');
  });
  test('bytes after the last tensor', () => {
    rejects(build(ok, new Uint8Array(12)), /the data section has 12 bytes but the tensors cover only 8/);
  });
  test('duplicate tensor names (JSON.parse would silently keep the last)', () => {
    const text = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    rejects(build(text, eight), /the header names "a" more than once/);
    const escaped = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"\\u0061":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}';
    rejects(build(escaped, eight), /the header names "a" more than once/);
    const field = '{"a":{"dtype":"F32","shape":[2],"dtype":"F32","data_offsets":[0,8]}}';
    rejects(build(field, eight), /the field "dtype" appears more than once/, 'a');
    // Strings that look like keys inside values are not confused with keys.
    const tricky = '{"__metadata__":{"x":"\\",\\"x\\":","y":"{\\"x\\"}"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    assert.deepEqual(parseSafetensors(build(tricky, eight)).metadata, { x: '","x":', y: '{"x"}' });
  });
  test('__metadata__ must map strings to strings', () => {
    rejects(build({ __metadata__: { epoch: 3 }, ...ok }, eight), /"__metadata__" must map strings to strings; key "epoch" holds the number 3/);
    rejects(build({ __metadata__: ['x'], ...ok }, eight), /"__metadata__" must be an object of strings, found an array/);
  });
  test('BOOL bytes other than 0 and 1', () => {
    rejects(build({ m: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }, [1, 7]), /BOOL element 1 is the byte 7; expected 0 or 1/, 'm');
  });
  test('a "__proto__" key cannot pollute prototypes', () => {
    const text = '{"__metadata__":{"__proto__":"x"},"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    const { tensors, metadata } = parseSafetensors(build(text, [3]));
    assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value, 'x');
    assert.deepEqual([...tensors.get('__proto__')!.data], [3]);
    assert.equal(({} as Record<string, unknown>).dtype, undefined);
  });
  test('errors from files name the file path', () => {
    const dir = tmpdir();
    try {
      const file = path.join(dir, 'bad.safetensors');
      fs.writeFileSync(file, build(ok, new Uint8Array(4)));
      assert.throws(() => readSafetensors(file), (e: unknown) => e instanceof CheckpointError && e.file === file && e.message.startsWith(`${file}: tensor "a": `));
      assert.throws(() => readSafetensors(path.join(dir, 'missing.safetensors')), (e: unknown) => e instanceof CheckpointError && /cannot open/.test(e.message));
      assert.throws(() => readSafetensors(dir), (e: unknown) => e instanceof CheckpointError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fuzzing', () => {
  const valid = concat(serializeSafetensors(writerTensors(), { format: 'pt' }));
  const headerEnd = 8 + Number(Buffer.from(valid).readBigUInt64LE(0));

  function parsesOrCheckpointError(bytes: Uint8Array): void {
    try {
      const { tensors } = parseSafetensors(bytes, 'fuzz.safetensors');
      for (const t of tensors.values()) {
        let n = 1;
        for (const d of t.dims) n *= d;
        assert.equal(t.data.length, n);
      }
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
    }
  }

  test('random byte flips anywhere never crash with another error type', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const bytes = valid.slice();
        for (const [i, v] of flips) bytes[i] = v;
        parsesOrCheckpointError(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  test('flips confined to the JSON header (reaching the field checks)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 8, max: headerEnd - 1 }), fc.constantFrom(...Buffer.from('0123456789-.,:[]{}" eE'))), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const bytes = valid.slice();
          for (const [i, v] of flips) bytes[i] = v;
          parsesOrCheckpointError(bytes);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('truncation, extension and random files', () => {
    fc.assert(
      fc.property(fc.nat(valid.length), fc.uint8Array({ maxLength: 16 }), (cut, extra) => {
        parsesOrCheckpointError(concat([valid.subarray(0, cut), extra]));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (rest, n) => {
        const prefix = Buffer.alloc(8);
        prefix.writeBigUInt64LE(n);
        parsesOrCheckpointError(concat([prefix, rest]));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('sharded checkpoints', () => {
  function makeShards(dir: string, weightMap?: Record<string, string>): void {
    writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), {
      'embeddings.weight': { dtype: 'float32', dims: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
      'position_ids': { dtype: 'int64', dims: [2], data: new BigInt64Array([0n, 1n]) },
    }, { format: 'pt' });
    writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), {
      'classifier.weight': { dtype: 'float32', dims: [1, 2], data: new Float32Array([5, 6]) },
      'unlisted': { dtype: 'float32', dims: [1], data: new Float32Array([0]) },
    });
    fs.writeFileSync(
      path.join(dir, 'model.safetensors.index.json'),
      JSON.stringify({
        metadata: { total_size: 40 },
        weight_map: weightMap ?? {
          'embeddings.weight': 'model-00001-of-00002.safetensors',
          'position_ids': 'model-00001-of-00002.safetensors',
          'classifier.weight': 'model-00002-of-00002.safetensors',
        },
      }),
    );
  }

  function shardError(dir: string, pattern: RegExp, tensor?: string): void {
    assert.throws(
      () => readShardedSafetensors(dir),
      (e: unknown) => e instanceof CheckpointError && pattern.test(e.message) && e.tensor === tensor && e.file.endsWith('model.safetensors.index.json'),
    );
  }

  test('loads every tensor listed in the weight_map from its shard', () => {
    const dir = tmpdir();
    try {
      makeShards(dir);
      for (const where of [dir, path.join(dir, 'model.safetensors.index.json')]) {
        const { tensors, metadata, shardMetadata } = readShardedSafetensors(where);
        assert.deepEqual([...tensors.keys()], ['embeddings.weight', 'position_ids', 'classifier.weight']);
        assert.deepEqual([...(tensors.get('classifier.weight')!.data as Float32Array)], [5, 6]);
        assert.deepEqual([...(tensors.get('position_ids')!.data as BigInt64Array)], [0n, 1n]);
        assert.deepEqual(metadata, { total_size: 40 });
        assert.deepEqual(shardMetadata['model-00001-of-00002.safetensors'], { format: 'pt' });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a tensor missing from its shard, or a missing shard, is an error naming it', () => {
    const dir = tmpdir();
    try {
      makeShards(dir, { 'classifier.weight': 'model-00001-of-00002.safetensors' });
      shardError(dir, /the weight_map puts it in "model-00001-of-00002.safetensors", which does not contain it/, 'classifier.weight');
      makeShards(dir, { 'classifier.weight': 'model-00003-of-00003.safetensors' });
      shardError(dir, /shard file "model-00003-of-00003.safetensors" does not exist/, 'classifier.weight');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('shard paths may not leave the checkpoint directory', () => {
    const outer = tmpdir();
    try {
      const dir = path.join(outer, 'ckpt');
      fs.mkdirSync(dir);
      makeShards(dir);
      // A real shard outside the directory that an escaping path would reach.
      fs.copyFileSync(path.join(dir, 'model-00002-of-00002.safetensors'), path.join(outer, 'evil.safetensors'));
      makeShards(dir, { 'classifier.weight': '../evil.safetensors' });
      shardError(dir, /contains "\.\."/, 'classifier.weight');
      makeShards(dir, { 'classifier.weight': 'sub/../../evil.safetensors' });
      shardError(dir, /contains "\.\."/, 'classifier.weight');
      makeShards(dir, { 'classifier.weight': '..\\evil.safetensors' });
      shardError(dir, /contains "\.\."/, 'classifier.weight');
      makeShards(dir, { 'classifier.weight': path.join(outer, 'evil.safetensors') });
      shardError(dir, /is an absolute path/, 'classifier.weight');
      makeShards(dir, { 'classifier.weight': 'C:\\evil.safetensors' });
      shardError(dir, /is an absolute path/, 'classifier.weight');
      makeShards(dir, { 'classifier.weight': '' });
      shardError(dir, /is empty/, 'classifier.weight');
    } finally {
      fs.rmSync(outer, { recursive: true, force: true });
    }
  });

  test('a malformed index is an error', () => {
    const dir = tmpdir();
    try {
      const index = path.join(dir, 'model.safetensors.index.json');
      fs.writeFileSync(index, '{"weight_map": [1]}');
      shardError(dir, /"weight_map" must be an object/);
      fs.writeFileSync(index, '{"weight_map": {"a": 3}}');
      shardError(dir, /the shard must be a file name, found the number 3/, 'a');
      fs.writeFileSync(index, '{"weight_map": {"a": "x.safetensors", "a": "y.safetensors"}}');
      shardError(dir, /is listed more than once/, 'a');
      fs.writeFileSync(index, 'not json');
      shardError(dir, /the index is not valid JSON/);
      fs.rmSync(index);
      shardError(dir, /cannot open/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('atomic writes', () => {
  test('a failure mid-write leaves the old file intact and no temporary file behind', () => {
    const dir = tmpdir();
    try {
      const file = path.join(dir, 'model.safetensors');
      writeSafetensors(file, writerTensors());
      const before = fs.readFileSync(file);
      let reads = 0;
      const failing = {
        dtype: 'float32' as const,
        dims: [4],
        // The first read plans the header; the second, while the data is being written, fails.
        get data(): Float32Array {
          if (++reads > 1) throw new Error('disk on fire');
          return new Float32Array(4);
        },
      };
      const big = { dtype: 'float32' as const, dims: [1 << 16], data: new Float32Array(1 << 16) };
      assert.throws(() => writeSafetensors(file, { big, z: failing }), (e: unknown) => e instanceof CheckpointError && /cannot write: disk on fire/.test(e.message));
      assert.equal(reads, 2, 'the failure happened after the temporary file was started');
      assert.deepEqual(fs.readFileSync(file), before);
      assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a failed rename (target is a directory) cleans up its temporary file', () => {
    const dir = tmpdir();
    try {
      const target = path.join(dir, 'model.safetensors');
      fs.mkdirSync(target);
      fs.writeFileSync(path.join(target, 'keep'), 'x');
      assert.throws(() => writeSafetensors(target, writerTensors()), (e: unknown) => e instanceof CheckpointError && e.file === target);
      assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
      assert.deepEqual(fs.readdirSync(target), ['keep']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('invalid tensors are rejected before any file is created', () => {
    const dir = tmpdir();
    try {
      const file = path.join(dir, 'm.safetensors');
      assert.throws(() => writeSafetensors(file, { a: { dtype: 'float32', dims: [3], data: new Float32Array(2) } }), /tensor "a": dims \[3\] need 3 elements but the data has 2/);
      assert.throws(() => writeSafetensors(file, { a: { dtype: 'float32', dims: [-1], data: new Float32Array(0) } }), /dims must be non-negative integers/);
      assert.throws(() => writeSafetensors(file, { __metadata__: { dtype: 'float32', dims: [0], data: new Float32Array(0) } }), /reserved/);
      assert.throws(() => writeSafetensors(file, {}, { epoch: 3 } as unknown as Record<string, string>), /metadata must map strings to strings/);
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('serializeSafetensors does not copy tensor data', () => {
    const data = new Float32Array([1, 2, 3]);
    const chunks = serializeSafetensors({ a: { dtype: 'float32', dims: [3], data } });
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1].buffer, data.buffer);
  });
});
