// Timings that unit tests used to assert (wall-clock limits are flaky on a shared machine, so
// they are figures here): generating the default synthetic corpus, and refusing a deflate bomb
// in a pytorch_model.bin against inflating the same stream without a cap (what the cap saves).
// Run: npm run bench:guards. Prints min / median of the runs; warm (one run first, untimed).
import { inflateRawSync, deflateRawSync, crc32 } from 'node:zlib';
import { SYNTHETIC_DEFAULT_SIZES, syntheticNer } from '../src/data/synthetic.ts';
import { parsePytorchBin } from '../src/models/pickle.ts';
import { makeZip } from '../test/helpers/zip.ts';

function time(runs: number, fn: () => void): { min: number; median: number } {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { min: t[0]!, median: t[Math.floor(runs / 2)]! };
}
const show = (name: string, r: { min: number; median: number }) => console.log(`${name.padEnd(58)} min ${r.min.toFixed(1)} ms, median ${r.median.toFixed(1)} ms`);

const { train, validation, test } = SYNTHETIC_DEFAULT_SIZES;
show(`syntheticNer() (${train} / ${validation} / ${test} sentences)`, time(10, () => syntheticNer()));

const zeros = new Uint8Array(64 << 20); // 64 MiB of zeros deflate to ~64 KB
const bomb = makeZip([
  { name: 'archive/data.pkl', data: Uint8Array.of(0x80, 0x02, 0x7d, 0x2e) }, // {} (protocol 2)
  { name: 'archive/byteorder', data: zeros, deflate: true, declaredSize: 6, crc: crc32(Buffer.from('little')) >>> 0 },
]);
const stream = deflateRawSync(zeros);
show('deflate bomb refused (inflation capped at the declared 6 B)', time(5, () => {
  try {
    parsePytorchBin(bomb);
  } catch {
    return;
  }
  throw new Error('the bomb was not refused');
}));
show('the same 64 MiB stream inflated without a cap (zlib)', time(5, () => void inflateRawSync(stream)));
