import { GCProfiler, getHeapStatistics } from 'node:v8';

const COLLECTIONS = new Set(['Scavenge', 'MinorMarkCompact', 'MarkSweepCompact']);

/** What the V8 heap did during one measured window. */
export interface HeapWindow {
  /** Bytes allocated on the V8 heap (JS objects, strings, small on-heap buffers; not Buffer backing stores). */
  allocatedBytes: number;
  /** Main-thread time of the collections that ran in the window (ms); concurrent marking threads excluded. */
  gcPauseMs: number;
  /** Collections (scavenges and mark-compacts; incremental-marking steps are not counted, their time is). */
  gcCount: number;
  /** Full (mark-compact) collections among them. */
  majorGcCount: number;
}

/**
 * Bytes allocated in a window, without forcing a collection: the heap's growth between
 * start and stop plus what every collection in between freed (`v8.GCProfiler` records
 * the used heap before and after each one). Validated by `alloc-check` on a known
 * allocation.
 */
export class HeapMeter {
  private readonly profiler = new GCProfiler();
  private usedAtStart = 0;

  start(): void {
    this.profiler.start();
    this.usedAtStart = getHeapStatistics().used_heap_size;
  }

  stop(): HeapWindow {
    const usedAtEnd = getHeapStatistics().used_heap_size;
    const { statistics } = this.profiler.stop();
    let freed = 0;
    let pauseUs = 0;
    let gcCount = 0;
    let majorGcCount = 0;
    for (const gc of statistics) {
      freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
      pauseUs += gc.cost;
      if (COLLECTIONS.has(gc.gcType)) gcCount++;
      if (gc.gcType === 'MarkSweepCompact') majorGcCount++;
    }
    return {
      allocatedBytes: usedAtEnd - this.usedAtStart + freed,
      gcPauseMs: pauseUs / 1000,
      gcCount,
      majorGcCount,
    };
  }
}
