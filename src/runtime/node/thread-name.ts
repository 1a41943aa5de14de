import { writeFileSync } from 'node:fs';

/**
 * Names the calling OS thread, as `top -H`, `ps -L` and /proc/<pid>/task/<tid>/comm show it (Linux keeps
 * 15 characters). Threads it starts later (onnxruntime's intra-op pool) inherit the name. For operators
 * and the HTTP bench's per-thread CPU; where /proc/thread-self is absent (not Linux) nothing happens.
 */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux, or /proc not mounted: thread names are a convenience only.
  }
}
