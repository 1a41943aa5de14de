/**
 * The hostile-input suite against the Worker in local workerd (wrangler dev, offline) with a short
 * request deadline: the fixed corpus, four fast-check families and keep-alive early errors, while
 * /healthz latency and workerd's RSS are sampled. See docs/hardening.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalWorker } from '../../functions/worker/scripts/local-worker.js';
import { conformanceModel, startTestWorker } from '../conformance-runners.js';
import { descendantNamed } from './monitor.js';
import { DEADLINE_MS, HEALTHZ_LIMIT_MS, HostileRun, itAnswersTheCorpus } from './suite.js';

/** Peak RSS workerd may reach during the suite (MiB). */
const MAX_RSS_MIB = Number(process.env.HOSTILE_WORKERD_RSS_MIB ?? 1024);
/** The Worker's defaults (docs/settings.md): 16 MiB bodies, 6 MP images. */
const MAX_BODY = 16 * 1024 * 1024;

describe('hostile input against the Worker in workerd', () => {
  let worker: LocalWorker & { assetsDir: string };
  let run: HostileRun;

  beforeAll(async () => {
    const built = await conformanceModel();
    worker = await startTestWorker(built.manifest.name, built.dir, {
      vars: { NETLENS_TIMEOUT_MS: String(DEADLINE_MS) },
    });
    const pid = descendantNamed(worker.process.pid!, 'workerd');
    if (pid === undefined) throw new Error('no workerd process under wrangler dev');
    // The first request loads the model (several seconds in WASM): not part of the measured run.
    expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
    run = new HostileRun(
      {
        url: worker.url,
        model: built.manifest.name,
        maxBodyBytes: MAX_BODY,
        maxPixels: 6_000_000,
        deadlineMs: DEADLINE_MS,
        runtime: 'workerd',
      },
      pid,
    );
  }, 600_000);

  afterAll(async () => {
    if (run) console.log(run.report(await run.finish()));
    if (process.env.HOSTILE_WORKER_LOG)
      (await import('node:fs')).writeFileSync(process.env.HOSTILE_WORKER_LOG, worker.output());
    await worker?.stop();
  });

  itAnswersTheCorpus(() => run);

  it('kept /healthz fast, memory bounded and no 5xx on the server side throughout', async () => {
    const m = await run.finish();
    expect(m.healthzFailures, '/healthz probes that failed').toEqual([]);
    expect(m.healthzSamples).toBeGreaterThan(50);
    expect(run.slowHealthz(m), `/healthz slower than ${HEALTHZ_LIMIT_MS.workerd} ms`).toEqual([]);
    expect(Math.max(m.peakRssMiB, m.hwmMiB), `workerd's peak RSS in MiB (limit ${MAX_RSS_MIB})`).toBeLessThan(
      MAX_RSS_MIB,
    );
    expect(
      await run.serverErrors(),
      "5xx in the Worker's own request counts (a client disconnect must count as 499: issue 15 #1, helper A)",
    ).toEqual([]);
    expect(run.tally.requests).toBeGreaterThan(300);
  }, 60_000);
});
