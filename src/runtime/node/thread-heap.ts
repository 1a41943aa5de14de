import { setFlagsFromString } from 'node:v8';

/** The node flag that sets a thread's old-generation floor (V8's initial old-space size, in MiB). */
const FLAG = '--initial-old-space-size';

/**
 * Gives the worker threads started after this call an old-generation floor of `mib` MiB: V8's initial
 * old-space size, under which it skips full (mark-compact) collections (V8 keeps an embedder-configured
 * initial size as the minimum limit). 0 changes nothing: the threads keep what the process was started
 * with (V8's default, or the command line's flag).
 *
 * Why: every image crosses threads as ArrayBuffers (body → prepare thread, model input → HTTP thread →
 * inference thread and back), and they count against the old generation's limit, which V8 derives
 * from the live heap. With V8's defaults the prepare thread (~12 MB live) ran a full collection about
 * every 26 images at 16 clients, for a heap that hardly grew (docs/performance.md). The floor is a
 * threshold, not memory taken, but dead objects that reach the old generation may stay until it is
 * reached: up to `mib` MiB per thread.
 *
 * V8 flags are process-wide and read when an isolate is created: this sets the floor for every thread
 * started afterwards in this process, the host's own included (not for the main thread, whose heap
 * already exists: that one only comes from the command line, see mainThreadFloorWarning).
 */
export function setThreadOldSpaceFloor(mib: number): void {
  if (!Number.isInteger(mib) || mib < 0) {
    throw new RangeError(`an old-space floor is a whole number of MiB ≥ 0, not ${String(mib)}`);
  }
  if (mib > 0) setFlagsFromString(`${FLAG}=${mib}`);
}

/**
 * The node arguments that give a process's main thread a floor of `mib` MiB (none for 0): what a
 * program that starts the server as a child process puts before the script, as `npm start` does.
 */
export function mainThreadFloorArgs(mib: number): string[] {
  return mib > 0 ? [`${FLAG}=${mib}`] : [];
}

/**
 * The warning for a server whose main (HTTP) thread has no old-generation floor while its worker
 * threads get one: V8 reads the main thread's only from node's command line (NODE_OPTIONS refuses the
 * flag), as `npm start` and the container images give it. Undefined when the command line has the flag
 * or the floor is off.
 */
export function mainThreadFloorWarning(execArgv: readonly string[], mib: number): string | undefined {
  // V8 takes its flags with dashes or underscores.
  const given = execArgv.some((arg) => {
    const name = arg.replaceAll('_', '-').split('=')[0];
    return name === FLAG;
  });
  if (mib === 0 || given) return undefined;
  return (
    `the HTTP thread has no old-generation floor: start node with ${FLAG}=${mib}, as npm start and the ` +
    'container images do (NETLENS_THREAD_OLD_SPACE_MIB only reaches the worker threads; without the flag ' +
    "V8 collects the HTTP thread's heap far more often under load: docs/performance.md)"
  );
}
