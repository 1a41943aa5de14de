import { fixedCases } from './cases.js';
import { send } from './client.js';
import { startMonitor, memoryOf } from './monitor.js';
import { readFileSync } from 'node:fs';
const url = 'http://127.0.0.1:18931';
const pid = Number(readFileSync('/tmp/h15c-srv.pid', 'utf8'));
await new Promise((r) => setTimeout(r, 8000));
const cases = (
  await fixedCases({
    url,
    model: 'nsfw-mobilenet-v2',
    maxBodyBytes: 32 << 20,
    maxPixels: 40e6,
    deadlineMs: 4000,
    runtime: 'node',
  })
).filter((c) => !/never ends|2 × the deadline|held open|slow body/.test(c.name));
for (const c of cases) {
  const m = startMonitor(url, pid, 20);
  const o = await send(url, c, 30000);
  const r = await m.stop();
  if (r.worstHealthzMs > 150 || o.ms > 1000)
    console.log(
      c.name.padEnd(60),
      o.status,
      Math.round(o.ms),
      'healthz',
      Math.round(r.worstHealthzMs),
      'rss',
      Math.round(r.peakRssMiB),
    );
}
console.log('hwm', memoryOf(pid));
