import { createRoute } from '@hono/zod-openapi';
import type { Manifest } from '../../core/manifest.js';
import type { Variant } from '../../core/model-source.js';
import type { ModelInfo, ModelRegistry } from '../registry.js';
import type { AppDeps, Router } from '../env.js';
import { createRouter } from '../env.js';
import { fileRefs, modelCard, modelFileUrl } from '../model-card.js';
import {
  ContentFileParams,
  FileParams,
  ModelDetail,
  ModelList,
  ModelParams,
  RescanResponse,
  problems,
} from '../schemas.js';

const listRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  summary: 'Installed models with their load state and card',
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
  summary: 'One model: manifest, card, files, load state, execution provider',
  request: { params: ModelParams },
  responses: {
    200: { description: 'the model', content: { 'application/json': { schema: ModelDetail } } },
    ...problems(401, 404, 429),
  },
});

const fileRoute = createRoute({
  method: 'get',
  path: '/v1/models/{model}/files/{variant}/{sha256}',
  summary: "The model's ONNX file by its sha256 (for in-browser inference): immutable, streamed",
  request: { params: ContentFileParams },
  responses: {
    200: {
      description:
        'ONNX bytes, checked against the sha256 as they stream (a mismatch breaks the stream off); cached for a year',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    304: { description: 'If-None-Match named this file' },
    ...problems(401, 404, 429),
  },
});

const currentFileRoute = createRoute({
  method: 'get',
  path: '/v1/models/{model}/files/{variant}',
  summary: "Redirects to the current content-addressed URL of the model's file",
  request: { params: FileParams },
  responses: {
    302: { description: 'Location: /v1/models/{model}/files/{variant}/{sha256} (not cached)' },
    ...problems(401, 404, 429),
  },
});

/** A model's files and card (classes only for the one-model answer: an ImageNet list has 1000). */
async function described(registry: ModelRegistry, manifest: Manifest, serveFiles: boolean, classes: boolean) {
  const files = await fileRefs(
    manifest,
    (variant: Variant) => registry.fileSize(manifest, variant),
    serveFiles ? (variant, sha256) => modelFileUrl(manifest.name, variant, sha256) : undefined,
  );
  return { card: modelCard(manifest, { classes }), files };
}

/** One entry of GET /v1/models. */
async function summary(registry: ModelRegistry, m: ModelInfo, serveFiles: boolean) {
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
    ...(await described(registry, m.manifest, serveFiles, false)),
  };
}

/**
 * GET /v1/models, POST /v1/models/rescan, GET /v1/models/{model}, and (when exposed) the model files
 * for in-browser use.
 */
export function modelRoutes(deps: Pick<AppDeps, 'registry' | 'config'>): Router {
  const registry: ModelRegistry = deps.registry;
  const serveFiles = deps.config.exposeModelFiles;
  const router = createRouter();

  router.openapi(listRoute, async (c) => {
    const models = await registry.list();
    return c.json(
      {
        default: registry.defaultModel,
        engine: registry.engineName,
        models: await Promise.all(models.map((m) => summary(registry, m, serveFiles))),
      },
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
        ...(await described(registry, info.manifest, serveFiles, true)),
      },
      200,
    );
  });

  if (serveFiles) {
    router.openapi(fileRoute, async (c) => {
      const { model, variant, sha256 } = c.req.valid('param');
      const etag = `"${sha256}"`;
      const { file, stored } = await registry.openModelFile(model, variant, sha256);
      const headers: Record<string, string> = {
        etag,
        'cache-control': 'public, max-age=31536000, immutable',
      };
      if (c.req.header('if-none-match') === etag) {
        await stored.body.cancel();
        return c.body(null, 304, headers);
      }
      return c.body(stored.body, 200, {
        ...headers,
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${file.file}"`,
        ...(stored.size !== undefined && { 'content-length': String(stored.size) }),
      });
    });

    router.openapi(currentFileRoute, async (c) => {
      const { model, variant } = c.req.valid('param');
      const manifest = await registry.manifest(model);
      if (variant === 'features') await registry.requireFeatures(manifest);
      const sha256 = variant === 'model' ? manifest.sha256.model : manifest.features!.sha256;
      return c.body(null, 302, {
        location: modelFileUrl(model, variant, sha256),
        'cache-control': 'no-cache',
      });
    });
  }
  return router;
}
