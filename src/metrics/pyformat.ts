/**
 * Python's `format(x, '.{digits}f')` for float64. Python rounds the *exact* binary value
 * half-to-even; JavaScript's `toFixed` rounds exact ties away from zero (0.125 → '0.13' where
 * Python prints '0.12'), so we round ourselves with BigInt arithmetic on the exact value.
 */

const view = new DataView(new ArrayBuffer(8));

/** x = mantissa * 2^exponent exactly, mantissa >= 0. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = hi >>> 20;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 }; // subnormal or zero
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

export function formatFixed(x: number, digits: number): string {
  if (!Number.isInteger(digits) || digits < 0) throw new RangeError(`digits must be a non-negative integer, got ${digits}`);
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const { mantissa, exponent } = decompose(x);
  // q = round_half_even(|x| * 10^digits)
  const scaled = mantissa * 10n ** BigInt(digits);
  let q: bigint;
  if (exponent >= 0) {
    q = scaled << BigInt(exponent);
  } else {
    const shift = BigInt(-exponent);
    q = scaled >> shift;
    const rem = scaled - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  let body = q.toString();
  if (digits > 0) {
    body = body.padStart(digits + 1, '0');
    body = `${body.slice(0, -digits)}.${body.slice(-digits)}`;
  }
  return negative ? `-${body}` : body;
}
