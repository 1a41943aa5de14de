/**
 * Memory a bench allocates for the first time costs a page fault per 4 KiB page when it is first written,
 * and on a virtual machine a fault is dear: ~15–20 µs each on this Firecracker VM, so a fresh 224²×3
 * float32 tensor (147 pages) costs ~2.5 ms to touch — five times what the resize that fills it costs.
 * glibc returns freed memory to the system (munmap of chunks ≥ 128 KiB, heap trimming) as soon as it
 * can, so a bench that frees everything between passes (a full GC before each) pays those faults on every
 * image, where a long-running server reuses memory it already has (its prepare thread faults ~15 pages
 * per image, measured). STEADY_MALLOC keeps freed memory in the process, so a bench measures the code,
 * not the VM's page faults; the bench prints minor faults per image beside CPU ms, so the reader sees it.
 *
 * Not a server setting: the Node server under these tunables used more CPU and faulted more, not less
 * (nsfw-mobilenet-v2, 16 clients, two alternations: 22.3–23.0 against 17.0–17.4 CPU ms and 53–54 against
 * 18–32 faults per image; its threads allocate and free each other's buffers).
 */
import { spawnSync } from 'node:child_process';

/** glibc tunables: allocations below 32 MiB from the heap, freed memory kept (read at process start). */
export const STEADY_MALLOC = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824';

/** Minor page faults of this process so far (every thread). */
export const minorFaults = (): number => process.resourceUsage().minorPageFault;

/**
 * Runs this script again with STEADY_MALLOC (the tunables are read when a process starts), unless it
 * already runs with GLIBC_TUNABLES set or `fresh` asks to measure with glibc's defaults. Returns when this
 * process is the one to measure; otherwise exits with the child's status.
 */
export function runWithSteadyMalloc(fresh: boolean): void {
  if (fresh || process.env.GLIBC_TUNABLES !== undefined) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: STEADY_MALLOC },
  });
  process.exit(child.status ?? 1);
}

/** How the process allocates, for the bench's output. */
export function mallocLine(): string {
  const tunables = process.env.GLIBC_TUNABLES;
  return tunables === undefined
    ? 'glibc malloc defaults (freed memory returned to the system: fresh pages fault on every image)'
    : `GLIBC_TUNABLES=${tunables}`;
}
