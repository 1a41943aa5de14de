/**
 * What the hostile suite watches while it runs: /healthz latency (sampled every `everyMs`, one probe at a
 * time, over a keep-alive-free connection each) and the server's resident memory (VmRSS and VmHWM from
 * /proc/<pid>/status).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';

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

function healthz(base: string, timeoutMs: number): Promise<{ ms: number; failure?: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(`${base}/healthz`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          ms: performance.now() - started,
          ...(res.statusCode !== 200 && { failure: `/healthz answered ${res.statusCode}` }),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) =>
      resolve({ ms: performance.now() - started, failure: `/healthz: ${error.message}` }),
    );
    req.end();
  });
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
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    try {
      if (readFileSync(`/proc/${next}/comm`, 'utf8').trim() === name) return next;
    } catch {
      // gone meanwhile
    }
    queue.push(...(children.get(next) ?? []));
  }
  return undefined;
}

export function startMonitor(base: string, pid: number, everyMs = 100, slowMs = Infinity): Monitor {
  const report: MonitorReport = {
    healthzSamples: 0,
    worstHealthzMs: 0,
    slowSamples: [],
    healthzFailures: [],
    peakRssMiB: 0,
    hwmMiB: 0,
  };
  let running = true;
  const sampleMemory = (): void => {
    const { rssMiB, hwmMiB } = memoryOf(pid);
    report.peakRssMiB = Math.max(report.peakRssMiB, rssMiB);
    report.hwmMiB = Math.max(report.hwmMiB, hwmMiB);
  };
  const memoryTimer = setInterval(sampleMemory, everyMs);
  const loop = (async () => {
    while (running) {
      const at = performance.now();
      const probe = await healthz(base, 10_000);
      if (probe.ms > slowMs) report.slowSamples.push({ at, ms: probe.ms });
      report.healthzSamples++;
      report.worstHealthzMs = Math.max(report.worstHealthzMs, probe.ms);
      if (probe.failure !== undefined) report.healthzFailures.push(probe.failure);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      clearInterval(memoryTimer);
      sampleMemory();
      return report;
    },
  };
}
