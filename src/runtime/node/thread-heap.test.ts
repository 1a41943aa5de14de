import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mainThreadFloorArgs, mainThreadFloorWarning, setThreadOldSpaceFloor } from './thread-heap.js';

const run = promisify(execFile);

/**
 * A fresh Node process (V8 flags are process-wide; `nodeArgs` on its command line) sets the floor, then
 * starts a worker thread that promotes ~400 MB of garbage to the old generation (a ring of 8 live
 * arrays of 25 000 objects, each replaced after surviving scavenges) with a small live set, and reports
 * its full collections.
 */
async function fullCollections(floorMiB: number, nodeArgs: string[] = []): Promise<number> {
  const script = `
    const { setThreadOldSpaceFloor } = await import(${JSON.stringify(new URL('./thread-heap.ts', import.meta.url).href)});
    const { Worker } = await import('node:worker_threads');
    setThreadOldSpaceFloor(${floorMiB});
    const worker = new Worker(\`
      const { parentPort } = require('node:worker_threads');
      const { PerformanceObserver, constants } = require('node:perf_hooks');
      let full = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
      }).observe({ entryTypes: ['gc'] });
      const ring = [];
      let i = 0;
      (function step() {
        for (let k = 0; k < 20; k++, i++) ring[i % 8] = Array.from({ length: 25000 }, (_, j) => ({ j }));
        if (i < 400) setImmediate(step);
        else setTimeout(() => parentPort.postMessage(full), 50);
      })();\`, { eval: true, execArgv: [] });
    worker.once('message', (full) => { console.log(full); void worker.terminate(); });
  `;
  const { stdout } = await run(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', '--input-type=module', '-e', script],
    { timeout: 60_000 },
  );
  return Number(stdout.trim());
}

describe('setThreadOldSpaceFloor', () => {
  it('lets threads started after it skip full collections under the floor; 0 keeps the command line’s', async () => {
    const [without, withFloor, commandLine] = await Promise.all([
      fullCollections(0),
      fullCollections(1024),
      fullCollections(0, mainThreadFloorArgs(1024)),
    ]);
    // Measured here: 5–7 without a floor; 0 with 1 GiB (the garbage stays under it), however it came.
    expect(without).toBeGreaterThanOrEqual(3);
    expect(withFloor).toBe(0);
    expect(commandLine).toBe(0);
  });

  it('takes whole MiB only', () => {
    expect(() => setThreadOldSpaceFloor(-1)).toThrow(RangeError);
    expect(() => setThreadOldSpaceFloor(1.5)).toThrow(/whole number of MiB/);
    expect(() => setThreadOldSpaceFloor(undefined as unknown as number)).toThrow(/not undefined/);
  });
});

describe('mainThreadFloorArgs', () => {
  it('is the flag the warning looks for, and nothing for 0', () => {
    expect(mainThreadFloorArgs(128)).toEqual(['--initial-old-space-size=128']);
    expect(mainThreadFloorWarning(mainThreadFloorArgs(128), 128)).toBeUndefined();
    expect(mainThreadFloorArgs(0)).toEqual([]);
  });
});

describe('mainThreadFloorWarning', () => {
  it('warns when node was started without the flag and the floor is on', () => {
    expect(mainThreadFloorWarning(['--import', 'tsx'], 128)).toMatch(
      /^the HTTP thread has no old-generation floor: start node with --initial-old-space-size=128/,
    );
  });

  it('is quiet when the command line has the flag, in either spelling, or the floor is off', () => {
    expect(mainThreadFloorWarning(['--initial-old-space-size=64'], 128)).toBeUndefined();
    expect(mainThreadFloorWarning(['--initial_old_space_size=128'], 128)).toBeUndefined();
    expect(mainThreadFloorWarning(['--initial-old-space-size', '128'], 128)).toBeUndefined();
    expect(mainThreadFloorWarning([], 0)).toBeUndefined();
  });
});
