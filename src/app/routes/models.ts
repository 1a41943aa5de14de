import { createRoute } from '@hono/zod-openapi';
import type { ModelInfo, ModelRegistry } from '../registry.js';
import type { AppDeps, Router } from '../env.js';
import { createRouter } from '../env.js';
import { FileParams, ModelDetail, ModelList, ModelParams, RescanResponse, problems } from '../schemas.js';

const listRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  summary: 'Installed models with their load state',
  responses: {
    200: { description: 'the models', content: { 'application/json': { schema: ModelList } } },
    ...problems(401, 429),
  },
});

const rescanRoute = createRoute({
  method: 'post',
  path: '/v1/models/rescan',
  summary: 'Re-read the models directory: pick up models added, replaced or removed while running',
  responses: {
    200: { description: 'what changed', content: { 'application/json': { schema: RescanResponse } } },
    ...problems(401, 429),
  },
});

const detailRoute = createRoute({
  method: 'get',
  path: '/v1/models/{model}',
  summary: 'One model: manifest, load state, execution provider',
  request: { params: ModelParams },
  responses: {
    200: { description: 'the model', content: { 'application/json': { schema: ModelDetail } } },
    ...problems(401, 404, 429),
  },
});

const fileRoute = createRoute({
  method: 'get',
  path: '/v1/models/{model}/files/{variant}',
  summary: "The model's ONNX file (for in-browser inference)",
  request: { params: FileParams },
  responses: {
    200: {
      description: 'ONNX bytes; ETag is the sha256 from the manifest',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    ...problems(401, 404, 429),
  },
});

/** One entry of GET /v1/models. */
function summary(m: ModelInfo) {
  return {
    name: m.name,
    architecture: m.manifest.architecture,
    ...(m.manifest.description !== undefined && { description: m.manifest.description }),
    default: m.isDefault,
    input: {
      height: m.manifest.input.height,
      width: m.manifest.input.width,
      channels: m.manifest.input.channels,
    },
    classes: m.manifest.output.size,
    embed: m.manifest.features !== undefined,
    state: m.variants.model.state,
    ...(m.variants.model.provider !== undefined && { provider: m.variants.model.provider }),
  };
}

/**
 * GET /v1/models, POST /v1/models/rescan, GET /v1/models/{model}, and (when exposed) the model files
 * for in-browser use.
 */
export function modelRoutes(deps: Pick<AppDeps, 'registry' | 'config'>): Router {
  const registry: ModelRegistry = deps.registry;
  const router = createRouter();

  router.openapi(listRoute, async (c) => {
    const models = await registry.list();
    return c.json(
      { default: registry.defaultModel, engine: registry.engineName, models: models.map(summary) },
      200,
    );
  });

  router.openapi(rescanRoute, async (c) => c.json(await registry.rescan(), 200));

  router.openapi(detailRoute, async (c) => {
    const info = await registry.info(c.req.valid('param').model);
    return c.json(
      {
        name: info.name,
        default: info.isDefault,
        engine: registry.engineName,
        manifest: info.manifest as unknown as Record<string, string>, // plain JSON data
        load: info.variants,
      },
      200,
    );
  });

  if (deps.config.exposeModelFiles) {
    router.openapi(fileRoute, async (c) => {
      const { model, variant } = c.req.valid('param');
      const bytes = await registry.modelBytes(model, variant);
      return c.body(bytes.bytes as Uint8Array<ArrayBuffer>, 200, {
        'content-type': 'application/octet-stream',
        etag: `"${bytes.sha256}"`,
        'cache-control': 'public, max-age=31536000, immutable',
      });
    });
  }
  return router;
}
