/**
 * The hostile-input suite against the real Node server process (functions/node/main.ts) with a short
 * request deadline: the fixed corpus, four fast-check families, keep-alive early errors and a model that
 * fails its integrity check, while /healthz latency and the process's RSS are sampled. See
 * docs/hardening.md (what is generated, how to reproduce a failure, recorded numbers).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaksNothing } from './cases.js';
import { DEADLINE_MS, HEALTHZ_LIMIT_MS, HostileRun, itAnswersTheCorpus } from './suite.js';
import {
  DEFAULT_MODEL,
  MODELS_DIR,
  type ServerProcess,
  ensureDefaultModel,
  startServerProcess,
} from '../server-process.js';

/** Peak RSS the Node server may reach during the suite (MiB). */
const MAX_RSS_MIB = Number(process.env.HOSTILE_NODE_RSS_MIB ?? 1200);
const MAX_BODY = 32 * 1024 * 1024;

/** A models directory: the default model (linked), a copy with one flipped byte ('tampered'). */
function modelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'netlens-hostile-'));
  for (const ext of ['.json', '.onnx', '.features.onnx'])
    symlinkSync(join(MODELS_DIR, `${DEFAULT_MODEL}${ext}`), join(dir, `${DEFAULT_MODEL}${ext}`));
  const manifest = JSON.parse(readFileSync(join(MODELS_DIR, `${DEFAULT_MODEL}.json`), 'utf8')) as Record<
    string,
    unknown
  >;
  delete manifest.features;
  writeFileSync(
    join(dir, 'tampered.json'),
    JSON.stringify({ ...manifest, name: 'tampered', file: 'tampered.onnx' }),
  );
  copyFileSync(join(MODELS_DIR, `${DEFAULT_MODEL}.onnx`), join(dir, 'tampered.onnx'));
  const onnx = readFileSync(join(dir, 'tampered.onnx'));
  onnx[onnx.length - 100]! ^= 0xff;
  writeFileSync(join(dir, 'tampered.onnx'), onnx);
  return dir;
}

describe('hostile input against the Node server process', () => {
  let server: ServerProcess;
  let run: HostileRun;
  let dir: string;

  beforeAll(async () => {
    await ensureDefaultModel();
    dir = modelsDir();
    server = await startServerProcess([], {
      NETLENS_MODELS_DIR: dir,
      NETLENS_TIMEOUT_MS: String(DEADLINE_MS),
      NETLENS_MAX_BODY_BYTES: String(MAX_BODY),
    });
    run = new HostileRun(
      {
        url: server.url,
        model: DEFAULT_MODEL,
        maxBodyBytes: MAX_BODY,
        maxPixels: 40_000_000,
        deadlineMs: DEADLINE_MS,
        runtime: 'node',
      },
      server.child.pid!,
    );
  }, 600_000);

  afterAll(async () => {
    if (run) console.log(run.report(await run.finish()));
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  itAnswersTheCorpus(() => run);

  it('reports a model that fails its integrity check with a documented type, no path, no 5xx', async () => {
    const failures: string[] = [];
    for (const [i, c] of [
      { method: 'GET', path: '/v1/models/tampered' },
      { method: 'POST', path: '/v1/models/tampered/classify' },
      { method: 'POST', path: '/v1/models/tampered/classify' },
      { method: 'GET', path: '/v1/models' },
    ].entries()) {
      const before = run.tally.failures.length;
      await run.one({
        name: `failed model: ${c.method} ${c.path} (#${i + 1})`,
        finding: 'issue 15 #5 (helper B: failed models cached, documented, without paths)',
        ...c,
        headers: { 'content-type': 'image/jpeg' },
        body:
          c.method === 'POST'
            ? {
                kind: 'bytes',
                bytes: readFileSync(
                  join(import.meta.dirname, '../../../shared/data/images/clint_eastwood.jpg'),
                ),
              }
            : { kind: 'none' },
        check: leaksNothing(dir, tmpdir()),
      });
      failures.push(...run.tally.failures.slice(before));
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('kept /healthz fast, memory bounded and no 5xx on the server side throughout', async () => {
    const m = await run.finish();
    expect(m.healthzFailures, '/healthz probes that failed').toEqual([]);
    expect(m.healthzSamples).toBeGreaterThan(50);
    expect(
      run.slowHealthz(m),
      `/healthz slower than ${HEALTHZ_LIMIT_MS.node} ms (issue 15 #2: helper B)`,
    ).toEqual([]);
    expect(
      Math.max(m.peakRssMiB, m.hwmMiB),
      `peak RSS in MiB (limit ${MAX_RSS_MIB}; issue 15 #2, helper B)`,
    ).toBeLessThan(MAX_RSS_MIB);
    expect(
      await run.serverErrors(),
      "5xx in the server's own request counts (e.g. a disconnect counted as 500; issue 15 #1, helper A)",
    ).toEqual([]);
    expect(run.tally.requests).toBeGreaterThan(300);
  }, 60_000);
});
