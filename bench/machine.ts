/** What a bench result needs to be read on a shared machine: the host, the load, CPU time per process. */
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export const CORES = availableParallelism();

export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpu}, ${CORES} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

/** The 1-minute load average: above the core count, other work shared the cores. */
export const load1 = (): number => loadavg()[0]!;

/** CPU time (user + system, every thread) of another process in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  return cpuMsOf(statFields(`/proc/${pid}/stat`).fields);
}

/** A /proc stat file: the name (comm) and the fields after it (fields[0] is stat's 3rd, the state). */
function statFields(path: string): { name: string; fields: string[] } {
  const stat = readFileSync(path, 'utf8');
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    fields: stat.slice(stat.lastIndexOf(')') + 2).split(' '),
  };
}

/** utime + stime (stat's 14th and 15th fields) in ms. */
const cpuMsOf = (fields: string[]): number =>
  ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
/** Minor page faults of another process so far (every thread), from /proc/<pid>/stat. */
export function processFaults(pid: number): number {
  return Number(statFields(`/proc/${pid}/stat`).fields[7]);
}
/**
 * CPU time (user + system) in ms of each thread of another process, keyed by thread id and start time
 * (a thread id the kernel reuses is another thread), with the thread's name.
 */
export function threadCpuMs(pid: number): Map<string, { name: string; cpuMs: number }> {
  const threads = new Map<string, { name: string; cpuMs: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const { name, fields } = statFields(`/proc/${pid}/task/${tid}/stat`);
      // starttime is stat's 22nd field.
      threads.set(`${tid}@${fields[19]}`, {
        name: tid === String(pid) ? 'main' : name,
        cpuMs: cpuMsOf(fields),
      });
    } catch {
      // the thread ended while we looked
    }
  }
  return threads;
}
/** USER_HZ on Linux. */
const CLOCK_TICKS = 100;

/** CPU time of this process (every thread: onnxruntime's, libvips', worker threads') in ms. */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Every descendant of process `root` (children first, then theirs: breadth first), read from /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** A file of /proc/<pid>/, or '' once the process has ended. */
export function procFile(pid: number, file: 'cmdline' | 'comm'): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}
