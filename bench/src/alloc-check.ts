import { HeapMeter } from './heap-meter.js';

/**
 * Checks the allocation meter on a known allocation: strings of exactly 1 KiB (made from a
 * Buffer, so V8 stores each flat: 16-byte header + 1024 bytes), N of them, with none, half
 * or all kept alive (scavenges only; promotions and mark-compacts). Each case must come
 * out within 10 % of N × 1040 bytes, or the script exits 1.
 *
 *   pnpm --filter @inbatch/bench alloc-check
 */

const STRING_BYTES = 16 + 1024;
const TOLERANCE = 0.1;
const source = Buffer.alloc(1024, 0x78);

function allocate(count: number, keepEvery: number): { perItem: number; gcCount: number; majorGcCount: number } {
  const kept: string[] = new Array<string>(Math.ceil(count / keepEvery));
  const meter = new HeapMeter();
  meter.start();
  for (let i = 0; i < count; i++) {
    // A different first byte each time: V8 can't hand back an interned or cached string.
    source[0] = 0x41 + (i % 26);
    const text = source.toString('latin1');
    if (i % keepEvery === 0) kept[i / keepEvery] = text;
  }
  const window = meter.stop();
  return { perItem: window.allocatedBytes / count, gcCount: window.gcCount, majorGcCount: window.majorGcCount };
}

const cases = [
  { label: '200 000 × 1 KiB, none kept', count: 200_000, keepEvery: Number.MAX_SAFE_INTEGER },
  { label: '100 000 × 1 KiB, half kept', count: 100_000, keepEvery: 2 },
  { label: '100 000 × 1 KiB, all kept', count: 100_000, keepEvery: 1 },
];
let failed = 0;
for (const { label, count, keepEvery } of cases) {
  // The first pass warms up the loop; the second is judged.
  allocate(count, keepEvery);
  const { perItem, gcCount, majorGcCount } = allocate(count, keepEvery);
  const error = perItem / STRING_BYTES - 1;
  const ok = Math.abs(error) <= TOLERANCE;
  if (!ok) failed++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${label}: ${perItem.toFixed(0)} B per string (expected ${STRING_BYTES}, ${(error * 100).toFixed(1)} %), ${gcCount} collections (${majorGcCount} full)`,
  );
}
process.exit(failed === 0 ? 0 : 1);
