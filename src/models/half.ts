/**
 * Exact conversions between 16-bit floats (IEEE 754 binary16 "float16" and Google's
 * "bfloat16") and float32.
 *
 * Widening (16 → 32 bits) is exact for every input: normals, subnormals, ±0, ±inf and NaN
 * (the NaN payload is kept in the high mantissa bits). Narrowing (32 → 16 bits) rounds to
 * nearest, ties to even, as PyTorch and NumPy do; overflow gives ±inf, NaN stays NaN.
 */

let f16Table: Float32Array | undefined;

/** The float32 value of a float16 bit pattern, built from the bits (no arithmetic rounding). */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN
  if (exp !== 0) return (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0; // normal
  if (mant === 0) return sign >>> 0; // ±0
  // Subnormal: value = mant × 2^-24. Normalise so the leading 1 becomes implicit.
  let e = -14;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e -= 1;
  }
  mant &= 0x3ff;
  return (sign | ((e + 127) << 23) | (mant << 13)) >>> 0;
}

/** A 65,536-entry lookup table (256 KiB, built once on first use): float16 bits → float32. */
function table(): Float32Array {
  if (f16Table === undefined) {
    const t = new Float32Array(65536);
    const bits = new Uint32Array(t.buffer);
    for (let h = 0; h < 65536; h++) bits[h] = float16BitsToFloat32Bits(h);
    f16Table = t;
  }
  return f16Table;
}

/** Number value of one float16 bit pattern. */
export function float16ToNumber(h: number): number {
  return table()[h & 0xffff];
}

/** Number value of one bfloat16 bit pattern. */
export function bfloat16ToNumber(h: number): number {
  const u = new Uint32Array(1);
  u[0] = (h & 0xffff) << 16;
  return new Float32Array(u.buffer)[0];
}

/**
 * Widens `count` float16 values stored little-endian in `bytes` (any byte alignment) into
 * a new Float32Array.
 */
export function float16BytesToFloat32(bytes: Uint8Array, count = bytes.length >> 1): Float32Array {
  const t = table();
  const out = new Float32Array(count);
  if ((bytes.byteOffset & 1) === 0) {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) out[i] = t[h[i]];
  } else {
    for (let i = 0, j = 0; i < count; i++, j += 2) out[i] = t[bytes[j] | (bytes[j + 1] << 8)];
  }
  return out;
}

/** Widens `count` bfloat16 values stored little-endian in `bytes` into a new Float32Array. */
export function bfloat16BytesToFloat32(bytes: Uint8Array, count = bytes.length >> 1): Float32Array {
  const out = new Float32Array(count);
  const o = new Uint32Array(out.buffer);
  if ((bytes.byteOffset & 1) === 0) {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    for (let i = 0; i < count; i++) o[i] = h[i] << 16;
  } else {
    for (let i = 0, j = 0; i < count; i++, j += 2) o[i] = (bytes[j] | (bytes[j + 1] << 8)) << 16;
  }
  return out;
}

/** Narrows float32 values to float16 bit patterns (round to nearest, ties to even). */
export function float32ToFloat16Bits(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]);
  return out;
}

/** One float32 bit pattern → float16 bits, round to nearest even. */
export function float32BitsToFloat16Bits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // inf / NaN (quiet)
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    // Subnormal or zero in float16.
    if (e < -10) return sign; // rounds to ±0 (even below half the smallest subnormal)
    const m = mant | 0x800000; // implicit leading 1
    const shift = 14 - e; // 24-bit significand → 10-bit subnormal field
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1) === 1)) r += 1;
    return sign | r; // a carry into bit 10 yields the smallest normal, which is correct
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1) === 1)) r += 1; // may carry into inf: correct
  return sign | r;
}

/** Narrows float32 values to bfloat16 bit patterns (round to nearest, ties to even). */
export function float32ToBfloat16Bits(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const f = bits[i];
    if ((f & 0x7f800000) === 0x7f800000 && (f & 0x7fffff) !== 0) {
      out[i] = (f >>> 16) | 0x40; // NaN stays a (quiet) NaN
    } else {
      out[i] = (f + 0x7fff + ((f >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}
