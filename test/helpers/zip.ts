/** A tiny zip writer (stored or deflated entries), for pytorch_model.bin tests and the guards bench. */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
  readonly deflate?: boolean;
  /** Overrides for hostile archives. */
  readonly declaredSize?: number;
  readonly crc?: number;
}

function le16(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff];
}
function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

export function makeZip(entries: readonly ZipInput[]): Uint8Array {
  const body: Uint8Array[] = [];
  let bodyLength = 0;
  const central: number[] = [];
  const add = (b: Uint8Array | number[]): void => {
    const u = b instanceof Uint8Array ? b : Uint8Array.from(b);
    body.push(u);
    bodyLength += u.length;
  };
  for (const e of entries) {
    const name = [...Buffer.from(e.name, 'utf8')];
    const stored = e.deflate ? deflateRawSync(e.data) : e.data;
    const crc = e.crc ?? crc32(e.data) >>> 0;
    const usize = e.declaredSize ?? e.data.length;
    const method = e.deflate ? 8 : 0;
    const offset = bodyLength;
    // torch pads local headers so storage data is 64-byte aligned; do the same with an extra field.
    const base = offset + 30 + name.length;
    const pad = (64 - ((base + 4) % 64)) % 64;
    const extra = [...le16(0x4654), ...le16(pad), ...new Array<number>(pad).fill(0x5a)];
    add([...le32(0x04034b50), ...le16(20), ...le16(0), ...le16(method), ...le16(0), ...le16(0), ...le32(crc)]);
    add([...le32(stored.length), ...le32(usize), ...le16(name.length), ...le16(extra.length), ...name, ...extra]);
    add(stored);
    central.push(...le32(0x02014b50), ...le16(20), ...le16(20), ...le16(0), ...le16(method), ...le16(0), ...le16(0), ...le32(crc));
    central.push(...le32(stored.length), ...le32(usize), ...le16(name.length), ...le16(0), ...le16(0), ...le16(0), ...le16(0), ...le32(0));
    central.push(...le32(offset), ...name);
  }
  const eocd = [...le32(0x06054b50), ...le16(0), ...le16(0), ...le16(entries.length), ...le16(entries.length)];
  eocd.push(...le32(central.length), ...le32(bodyLength), ...le16(0));
  return new Uint8Array(Buffer.concat([...body, Uint8Array.from(central), Uint8Array.from(eocd)]));
}

