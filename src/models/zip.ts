/**
 * A minimal, defensive ZIP reader for checkpoint archives (PyTorch's `torch.save` zip format).
 *
 * It reads the central directory (ZIP64 included), never trusts a number it finds without
 * checking it against the file's length, and extracts only stored (method 0) and deflated
 * (method 8) entries. Deflated data is inflated with a hard output cap equal to the size the
 * central directory declares, so a "zip bomb" costs at most the declared size, and the declared
 * size itself is capped. Every entry's CRC-32 is checked when it is read.
 *
 * Errors are `CheckpointError`s naming the archive and what was wrong.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { CheckpointError } from './safetensors.ts';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;

/** Largest entry the reader will inflate (a deflated entry declaring more is refused). */
export const MAX_INFLATED_BYTES = 1 << 30;
/** Most entries an archive may list. */
export const MAX_ZIP_ENTRIES = 1_000_000;

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Byte position of the entry's data (after its local header) in the archive. */
  readonly dataStart: number;
}

export interface ZipArchive {
  /** Entries in central-directory order, by name (names are unique). */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /**
   * The bytes of one entry: a view on the archive for stored entries, a new buffer for
   * deflated ones. Checks the CRC-32. Throws CheckpointError for unknown names.
   */
  read(name: string): Uint8Array;
}

/** True when `bytes` starts like a ZIP archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function u16(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8);
}
function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}
/** A u64 as a number; values above 2^53 come back as Infinity (and then fail every range check). */
function u64(b: Uint8Array, p: number): number {
  const lo = u32(b, p);
  const hi = u32(b, p + 4);
  if (hi >= 0x200000) return Infinity;
  return hi * 0x100000000 + lo;
}

/**
 * Opens a ZIP archive held in memory. Validates the end-of-central-directory record, every
 * central-directory entry and its local header against the file's length; extraction is
 * deferred to `read`.
 */
export function openZip(bytes: Uint8Array, file: string): ZipArchive {
  const fail = (detail: string): never => {
    throw new CheckpointError(file, undefined, `not a valid ZIP archive: ${detail}`);
  };
  const n = bytes.length;
  if (n < 22) fail(`${n} bytes is too short for the end-of-central-directory record`);

  // The EOCD record is the last 22 bytes plus a comment of up to 65535 bytes.
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 0xffff); p--) {
    if (u32(bytes, p) === SIG_EOCD && p + 22 + u16(bytes, p + 20) === n) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (truncated file?)');
  if (u16(bytes, eocd + 4) !== 0 || u16(bytes, eocd + 6) !== 0) fail('multi-disk archives are not supported');
  let count = u16(bytes, eocd + 10);
  let cdSize = u32(bytes, eocd + 12);
  let cdOffset = u32(bytes, eocd + 16);
  let cdEnd = eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: a locator just before the EOCD points at the ZIP64 EOCD record.
    const loc = eocd - 20;
    if (loc < 0 || u32(bytes, loc) !== SIG_EOCD64_LOCATOR) fail('the ZIP64 end-of-central-directory locator is missing');
    const rec = u64(bytes, loc + 8);
    if (!(rec + 56 <= loc)) fail(`the ZIP64 end-of-central-directory record offset ${rec} is outside the file`);
    if (u32(bytes, rec) !== SIG_EOCD64) fail('the ZIP64 end-of-central-directory record has a bad signature');
    count = u64(bytes, rec + 32);
    cdSize = u64(bytes, rec + 40);
    cdOffset = u64(bytes, rec + 48);
    cdEnd = rec;
  }
  if (count > MAX_ZIP_ENTRIES) fail(`${count} entries is over the ${MAX_ZIP_ENTRIES}-entry limit`);
  if (!(cdOffset + cdSize <= cdEnd)) fail(`the central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${cdEnd}`);

  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let p = cdOffset;
  const end = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end) fail(`central directory entry ${i} runs past the directory's end`);
    if (u32(bytes, p) !== SIG_CENTRAL) fail(`central directory entry ${i} has a bad signature`);
    const flags = u16(bytes, p + 8);
    const method = u16(bytes, p + 10);
    const crc = u32(bytes, p + 16);
    let compressedSize = u32(bytes, p + 20);
    let uncompressedSize = u32(bytes, p + 24);
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    let localOffset = u32(bytes, p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > end) fail(`central directory entry ${i} runs past the directory's end`);
    let name: string;
    try {
      name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    } catch {
      name = fail(`the name of entry ${i} is not valid UTF-8`);
    }
    if (flags & 0x1) fail(`entry ${JSON.stringify(name)} is encrypted`);
    // ZIP64 extended information: the fields that are 0xFFFFFFFF follow, in this order.
    let q = p + 46 + nameLen;
    const extraEnd = q + extraLen;
    while (q + 4 <= extraEnd) {
      const id = u16(bytes, q);
      const size = u16(bytes, q + 2);
      if (q + 4 + size > extraEnd) fail(`entry ${JSON.stringify(name)} has a malformed extra field`);
      if (id === 0x0001) {
        let r = q + 4;
        const take = (): number => {
          if (r + 8 > q + 4 + size) fail(`entry ${JSON.stringify(name)} has a short ZIP64 extra field`);
          const v = u64(bytes, r);
          r += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      q += 4 + size;
    }
    if (entries.has(name)) fail(`the entry ${JSON.stringify(name)} appears more than once`);
    if (method !== 0 && method !== 8) fail(`entry ${JSON.stringify(name)} uses compression method ${method} (only stored and deflate are supported)`);
    if (method === 0 && compressedSize !== uncompressedSize) {
      fail(`stored entry ${JSON.stringify(name)} declares ${compressedSize} compressed but ${uncompressedSize} uncompressed bytes`);
    }
    if (!(localOffset + 30 <= cdOffset)) fail(`entry ${JSON.stringify(name)}'s local header at ${localOffset} is outside the file's data area`);
    if (u32(bytes, localOffset) !== SIG_LOCAL) fail(`entry ${JSON.stringify(name)}'s local header at ${localOffset} has a bad signature`);
    const dataStart = localOffset + 30 + u16(bytes, localOffset + 26) + u16(bytes, localOffset + 28);
    if (!(dataStart + compressedSize <= cdOffset)) {
      fail(`entry ${JSON.stringify(name)}'s data [${dataStart}, ${dataStart + compressedSize}) runs past the data area, which ends at ${cdOffset}`);
    }
    entries.set(name, { name, method, crc32: crc, compressedSize, uncompressedSize, dataStart });
    p = next;
  }

  const read = (name: string): Uint8Array => {
    const e = entries.get(name);
    if (e === undefined) throw new CheckpointError(file, undefined, `the archive has no entry ${JSON.stringify(name)}`);
    const raw = bytes.subarray(e.dataStart, e.dataStart + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      data = raw;
    } else {
      if (e.uncompressedSize > MAX_INFLATED_BYTES) {
        throw new CheckpointError(file, undefined, `entry ${JSON.stringify(name)} declares ${e.uncompressedSize} uncompressed bytes, over the ${MAX_INFLATED_BYTES}-byte limit`);
      }
      try {
        // maxOutputLength bounds the work: a bomb stops at the declared size (+1 to detect "more").
        const out = inflateRawSync(raw, { maxOutputLength: e.uncompressedSize + 1 });
        data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (err) {
        const why = (err as Error).message;
        throw new CheckpointError(file, undefined, `entry ${JSON.stringify(name)} does not inflate to its declared ${e.uncompressedSize} bytes (${why})`);
      }
      if (data.length !== e.uncompressedSize) {
        throw new CheckpointError(file, undefined, `entry ${JSON.stringify(name)} inflates to ${data.length} bytes, but the archive declares ${e.uncompressedSize}`);
      }
    }
    const actual = crc32(data) >>> 0;
    if (actual !== e.crc32) {
      throw new CheckpointError(file, undefined, `entry ${JSON.stringify(name)} fails its CRC-32 check (corrupted file?)`);
    }
    return data;
  };
  return { entries, read };
}
