/**
 * Start-up of the CLI from compiled JavaScript (dist/, what users and the package run) vs the sources
 * through tsx's loader (NETLENS_FROM_SOURCE=1, what the CLI did before the build existed):
 *   classify  `netlens classify <photo> --json`: wall time until it exits, peak RSS, CPU ms
 *   serve     `netlens serve --port 0`: wall time until the first classification is answered, peak RSS
 * Interleaved (A, B, A, B, …) so a busy machine slows both alike; the load average is printed beside.
 * Peak RSS is the kernel's VmHWM of the process, polled every 10 ms from /proc (Linux only).
 *
 *   npm run build && tsx bench/startup.ts [--rounds 5] [--photo ../shared/data/images/jemma.png]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/netlens.js');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    photo: { type: 'string', default: join(ROOT, '../shared/data/images/jemma.png') },
  },
});
const ROUNDS = Number(values.rounds);
const PHOTO = resolve(values.photo);
const TICK_MS = 1000 / 100; // USER_HZ

interface Sample {
  ms: number;
  peakMiB: number;
  cpuMs: number;
}

/** VmHWM and utime+stime of a live process (undefined once it is gone). */
function procStats(pid: number): { hwmKiB: number; cpuMs: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const hwmKiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { hwmKiB, cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}

function watch(child: ChildProcess): () => { peakMiB: number; cpuMs: number } {
  let last = { hwmKiB: 0, cpuMs: 0 };
  const timer = setInterval(() => {
    const now = child.pid === undefined ? undefined : procStats(child.pid);
    // A process that has exited but not been reaped (a zombie) has no VmHWM line: keep the last reading.
    if (now && now.hwmKiB > 0) last = now;
  }, 10);
  return () => {
    clearInterval(timer);
    return { peakMiB: last.hwmKiB / 1024, cpuMs: last.cpuMs };
  };
}

function envFor(fromSource: boolean): NodeJS.ProcessEnv {
  return { ...process.env, NETLENS_FROM_SOURCE: fromSource ? '1' : '', NETLENS_LOG_LEVEL: 'info' };
}

async function classifyOnce(fromSource: boolean): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'classify', PHOTO, '--json'], {
    env: envFor(fromSource),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = watch(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const ms = performance.now() - started;
  const stats = stop();
  if (code !== 0 || !out.includes('"label"')) throw new Error(`classify failed (${code}): ${out}`);
  return { ms, ...stats };
}

async function serveOnce(fromSource: boolean): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
    env: envFor(fromSource),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = watch(child);
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      let log = '';
      child.stdout!.on('data', (d: Buffer) => {
        log += d.toString();
        const found = /"url":"(http:[^"]+)"/.exec(log);
        if (found) resolveUrl(found[1]!);
      });
      child.on('close', (code) => reject(new Error(`serve exited (${code}): ${log}`)));
    });
    const response = await fetch(`${url}/v1/models/nsfw-mobilenet-v2/classify`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: readFileSync(PHOTO),
    });
    if (response.status !== 200) throw new Error(`classify answered ${response.status}`);
    await response.arrayBuffer();
    const ms = performance.now() - started;
    return { ms, ...stop() };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first');
  const results: Record<string, Sample[]> = {};
  const add = (key: string, s: Sample) => (results[key] ??= []).push(s);
  const loads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    loads.push(loadavg()[0]!);
    for (const fromSource of round % 2 === 0 ? [false, true] : [true, false]) {
      const how = fromSource ? 'tsx (src)' : 'compiled (dist)';
      add(`classify, ${how}`, await classifyOnce(fromSource));
      add(`serve → first answer, ${how}`, await serveOnce(fromSource));
    }
  }
  console.log(
    `${new Date().toISOString()} · ${ROUNDS} rounds, interleaved · load average ${loads.map((l) => l.toFixed(1)).join(', ')}`,
  );
  console.log('| run | median wall ms | median peak RSS MiB | median CPU ms |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [key, samples] of Object.entries(results)) {
    const row = [
      median(samples.map((s) => s.ms)),
      median(samples.map((s) => s.peakMiB)),
      median(samples.map((s) => s.cpuMs)),
    ];
    console.log(`| ${key} | ${row[0]!.toFixed(0)} | ${row[1]!.toFixed(0)} | ${row[2]!.toFixed(0)} |`);
  }
}

await main();
