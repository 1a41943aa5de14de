/** Number formatting shared by logs, answers and reports. */

/** Milliseconds rounded to 0.01 ms for answers and logs. */
export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Bytes as MiB with one decimal: "10.5 MiB". */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
