import { setFlagsFromString } from 'node:v8';

/**
 * Gives the worker threads started after this call an old-generation floor of `mib` MiB: V8's initial
 * old-space size, under which it skips full (mark-compact) collections (V8 keeps an embedder-configured
 * initial size as the minimum limit). 0 leaves V8's default.
 *
 * Why: every image crosses threads as ArrayBuffers (body → prepare thread, model input → HTTP thread →
 * inference thread and back), and each arrival counts as external memory against the old generation's
 * limit. With the default limit, sized from a ~12 MB heap, the prepare thread ran a full collection
 * about every 25 images at 16 clients: ~1 CPU ms per image over the server's threads, for heaps that
 * hardly grow (docs/performance.md). A floor is a threshold, not memory taken.
 *
 * V8 flags are process-wide and read when an isolate is created: this sets the floor for every thread
 * started afterwards in this process (not for the main thread, whose heap already exists).
 */
export function setThreadOldSpaceFloor(mib: number): void {
  if (!Number.isInteger(mib) || mib < 0)
    throw new RangeError(`an old-space floor is a whole number of MiB ≥ 0, not ${mib}`);
  // Set every time, 0 included: the last runtime created in a process decides for the threads after it.
  setFlagsFromString(`--initial-old-space-size=${mib}`);
}
