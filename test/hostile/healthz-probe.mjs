/**
 * The hostile suite's /healthz prober, in its own worker thread (monitor.ts): the test's own event loop
 * builds and streams the hostile bodies (32 MB base64, 40 MP PNGs), and a probe timed there would count
 * the test's stalls as the server's. Plain JavaScript: a worker thread does not get vitest's transform.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';

const { base, everyMs, slowMs } = workerData;
const report = { healthzSamples: 0, worstHealthzMs: 0, slowSamples: [], healthzFailures: [] };
let running = true;
parentPort.once('message', () => (running = false));

function healthz(timeoutMs) {
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

while (running) {
  // Wall-clock time shared with the parent (performance.timeOrigin differs per thread).
  const at = performance.timeOrigin + performance.now();
  const probe = await healthz(10_000);
  if (probe.ms > slowMs) report.slowSamples.push({ at, ms: probe.ms });
  report.healthzSamples++;
  report.worstHealthzMs = Math.max(report.worstHealthzMs, probe.ms);
  if (probe.failure !== undefined) report.healthzFailures.push(probe.failure);
  await new Promise((resolve) => setTimeout(resolve, everyMs));
}
parentPort.postMessage(report);
