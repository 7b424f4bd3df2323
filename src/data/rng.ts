/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32) so that shuffles, splits
 * and anything else that draws random numbers give the same result on every machine and
 * every Node version — `Math.random` can be neither seeded nor saved in a checkpoint.
 */

/**
 * One step of 32-bit splitmix from state `x`: a well-mixed unsigned 32-bit value, so that
 * nearby inputs give unrelated outputs (also used to derive stream seeds from several numbers).
 */
export function mix32(x: number): number {
  const a = (x + 0x9e3779b9) | 0;
  let t = a ^ (a >>> 16);
  t = Math.imul(t, 0x21f0aaad);
  t ^= t >>> 15;
  t = Math.imul(t, 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
}

/** 32-bit splitmix: spreads a seed over the whole state so nearby seeds give unrelated streams. */
function splitmix32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    const out = mix32(a);
    a = (a + 0x9e3779b9) | 0;
    return out;
  };
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** The complete generator state: four unsigned 32-bit words (JSON-friendly, for checkpoints). */
export type RngState = readonly [number, number, number, number];

export class Rng {
  readonly #s = new Uint32Array(4);

  /** `seed` is any safe integer; both its low and high 32 bits count. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    const mix = splitmix32((seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) | 0, 0x85ebca6b));
    for (let i = 0; i < 4; i++) this.#s[i] = mix();
    // xoshiro must not start from the all-zero state (it would stay there).
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
  }

  /** Resumes a generator saved with `state()`. */
  static fromState(state: RngState): Rng {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new RangeError('an RNG state is four unsigned 32-bit integers');
    }
    const rng = new Rng(0);
    rng.#s.set(state);
    return rng;
  }

  state(): RngState {
    const s = this.#s;
    return [s[0], s[1], s[2], s[3]];
  }

  /** Uniform in [0, 2^32). */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits, like `Math.random`. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling), for 1 <= n <= 2^32. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`nextInt needs 1 <= n <= 2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }
}

/** Fisher–Yates in place; returns `items` for chaining. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** A uniformly random permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): number[] {
  return shuffleInPlace(Array.from({ length: n }, (_, i) => i), rng);
}

/** FNV-1a (32 bits) of a string's UTF-16 code units: a stable hash for sorting and bucketing entries. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
