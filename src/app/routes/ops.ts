import { NetlensError } from '../../core/errors.js';
import type { AppDeps, Router } from '../env.js';
import { createRouter } from '../env.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics.js';
import { codeOfProblemSlug, describeProblem } from '../problem.js';

/** Operations: /healthz, /readyz, /metrics and /problems/{type} (createApp adds /openapi.json). */
export function opsRoutes(deps: Pick<AppDeps, 'registry' | 'lifecycle' | 'metrics'>): Router {
  const { registry, lifecycle } = deps;
  const router = createRouter();

  router.get('/healthz', (c) => c.json({ status: 'ok' }));

  router.get('/readyz', async (c) => {
    if (!lifecycle.draining && registry.isReady()) {
      return c.json({ status: 'ready', model: registry.defaultModel });
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

  router.get('/metrics', (c) =>
    c.body(deps.metrics.registry.render(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }),
  );

  router.get('/problems/:slug', (c) => {
    const slug = c.req.param('slug');
    const code = codeOfProblemSlug(slug);
    if (!code) throw new NetlensError('not_found', `no problem type '${slug}'`);
    return c.json(describeProblem(code));
  });
  return router;
}
