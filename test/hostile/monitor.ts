/**
 * What the hostile suite watches while it runs: /healthz latency (sampled every `everyMs`, one probe at a
 * time, over a keep-alive-free connection each, from a worker thread) and the server's resident memory (VmRSS and VmHWM from
 * /proc/<pid>/status).
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { descendants, procFile } from '../../bench/machine.js';

export interface Monitor {
  /** Stops sampling and returns the worst /healthz latency, the samples taken, the peak RSS. */
  stop(): Promise<MonitorReport>;
}

export interface MonitorReport {
  healthzSamples: number;
  worstHealthzMs: number;
  /** Probes slower than the monitor's `slowMs`: when each started (performance.now()) and took. */
  slowSamples: { at: number; ms: number }[];
  /** /healthz probes that failed or answered other than 200. */
  healthzFailures: string[];
  peakRssMiB: number;
  /** The kernel's high-water mark of the process's RSS at the end (covers peaks between samples). */
  hwmMiB: number;
}

/** VmRSS and VmHWM of a process in MiB (0 when it is gone). */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
  } catch {
    return { rssMiB: 0, hwmMiB: 0 };
  }
}

/** The descendant of `pid` whose command name is `name` (workerd under wrangler), if any. */
export function descendantNamed(pid: number, name: string): number | undefined {
  return descendants(pid).find((child) => procFile(child, 'comm').trim() === name);
}

/**
 * Samples the server's memory here and /healthz from a worker thread (healthz-probe.mjs): this thread
 * builds and streams the hostile bodies, and a probe timed on its event loop would blame the server for
 * the test's own stalls.
 */
export function startMonitor(base: string, pid: number, everyMs = 100, slowMs = Infinity): Monitor {
  let peakRssMiB = 0;
  let hwmMiB = 0;
  const sampleMemory = (): void => {
    const memory = memoryOf(pid);
    peakRssMiB = Math.max(peakRssMiB, memory.rssMiB);
    hwmMiB = Math.max(hwmMiB, memory.hwmMiB);
  };
  const memoryTimer = setInterval(sampleMemory, everyMs);
  const probe = new Worker(new URL('./healthz-probe.mjs', import.meta.url), {
    workerData: { base, everyMs, slowMs: Number.isFinite(slowMs) ? slowMs : Number.MAX_VALUE },
  });
  const probed = new Promise<Omit<MonitorReport, 'peakRssMiB' | 'hwmMiB'>>((resolve, reject) => {
    probe.once('message', resolve);
    probe.once('error', reject);
  });
  return {
    async stop() {
      probe.postMessage('stop');
      const report = await probed;
      await probe.terminate();
      clearInterval(memoryTimer);
      sampleMemory();
      return {
        ...report,
        // The worker's clock (epoch ms) on this thread's performance.now() scale, as the suite's windows.
        slowSamples: report.slowSamples.map((s) => ({ ...s, at: s.at - performance.timeOrigin })),
        peakRssMiB,
        hwmMiB,
      };
    },
  };
}
