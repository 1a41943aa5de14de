import { NetlensError, messageOf } from '../../core/errors.js';
import type { JobStore } from '../../jobs/types.js';
import type { AppDeps, Router } from '../env.js';
import { createRouter } from '../env.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics.js';
import { codeOfProblemSlug, describeProblem } from '../problem.js';

/** Operations: /healthz, /readyz, /metrics and /problems/{type} (createApp adds /openapi.json). */
export function opsRoutes(deps: Pick<AppDeps, 'registry' | 'lifecycle' | 'metrics' | 'jobs'>): Router {
  const { registry, lifecycle } = deps;
  const router = createRouter();

  router.get('/healthz', (c) => c.json({ status: 'ok' }));

  router.get('/readyz', async (c) => {
    if (!lifecycle.draining && registry.isReady()) {
      const jobs = deps.jobs && (await jobStoreStatus(deps.jobs.service.store));
      return c.json({ status: 'ready', model: registry.defaultModel, ...(jobs && { jobs }) });
    }
    const info = await registry.info(registry.defaultModel).catch(() => undefined);
    throw new NetlensError(
      'model_not_ready',
      lifecycle.draining
        ? 'the server is shutting down'
        : `the default model '${registry.defaultModel}' is not loaded yet`,
      { details: { model: registry.defaultModel, ...(info && { load: info.variants.model }) } },
    );
  });

  router.get('/metrics', async (c) => {
    await deps.metrics
      .refresh()
      .catch((error: unknown) => c.get('logger').warn({ err: error }, 'job stats unavailable'));
    return c.body(deps.metrics.registry.render(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
  });

  router.get('/problems/:slug', (c) => {
    const slug = c.req.param('slug');
    const code = codeOfProblemSlug(slug);
    if (!code) throw new NetlensError('not_found', `no problem type '${slug}'`);
    return c.json(describeProblem(code));
  });
  return router;
}

/** The job store answers within 2 s, or /readyz is 503 store_unavailable naming the store. */
async function jobStoreStatus(store: JobStore): Promise<{ store: string; ok: true }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      store.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2000))),
    ]);
    return { store: store.description, ok: true };
  } catch (error) {
    throw new NetlensError(
      'store_unavailable',
      `the job store (${store.description}) is not answering: ${messageOf(error)}`,
      {
        details: { store: store.description },
      },
    );
  } finally {
    clearTimeout(timer);
  }
}
