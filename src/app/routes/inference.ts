import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { validateTop } from '../../core/decode.js';
import type { Variant } from '../../core/model-source.js';
import { postprocess, requireClasses } from '../../core/pipeline.js';
import { JsonBodySchema, readImages } from '../body.js';
import { withDeadline } from '../deadline.js';
import type { AppDeps, AppEnv, Router } from '../env.js';
import { createRouter } from '../env.js';
import { infer } from '../infer.js';
import { ClassifyQuery, ClassifyResponse, EmbedResponse, ModelParams, problems } from '../schemas.js';

const imageBody = {
  description: 'the image bytes (any Content-Type: the format is taken from the bytes), files, or JSON',
  required: true,
  content: {
    'image/*': { schema: { type: 'string' as const, format: 'binary' } },
    'application/octet-stream': { schema: { type: 'string' as const, format: 'binary' } },
    'multipart/form-data': {
      schema: {
        type: 'object' as const,
        properties: {
          file: { type: 'array' as const, items: { type: 'string' as const, format: 'binary' } },
          top: { type: 'integer' as const, minimum: 1, maximum: 1000 },
        },
      },
    },
    'application/json': {
      schema: z.toJSONSchema(JsonBodySchema, { io: 'input' }) as Record<string, unknown>,
    },
  },
};

const ERRORS = problems(400, 401, 404, 413, 415, 422, 429, 503, 504);

/** POST /v1/models/{model}/classify and /embed: body → infer (decode, preprocess, batch) → answer. */
/** Reads the body and runs its images under the request deadline. */
function runUnderDeadline(deps: AppDeps) {
  return (c: Context<AppEnv>, model: string, variant: Variant, top?: number) =>
    withDeadline(c, deps.config.requestTimeoutMs, async (signal) => {
      const manifest = await deps.registry.manifest(model);
      if (variant === 'features') await deps.registry.requireFeatures(manifest);
      else requireClasses(manifest);
      const limits = { maxBytes: deps.config.maxBodyBytes, signal };
      const body = await readImages(c.req.raw, deps.config.maxImagesPerRequest, limits, deps.readJsonImages);
      const wanted = body.top ?? top ?? Math.min(deps.config.defaultTop, manifest.output.size);
      if (variant === 'model') validateTop(wanted, manifest.output.size);
      const request = {
        model,
        variant,
        manifest,
        images: body.images,
        signal,
        logger: c.get('logger'),
        startedAt: c.get('startedAt'),
      };
      return { manifest, top: wanted, ...(await infer(deps, request)) };
    });
}

export function inferenceRoutes(deps: AppDeps): Router {
  const router = createRouter();

  const run = runUnderDeadline(deps);

  router.openapi(
    createRoute({
      method: 'post',
      path: '/v1/models/{model}/classify',
      summary: 'Classify one or more images',
      request: { params: ModelParams, query: ClassifyQuery, body: imageBody },
      responses: {
        200: {
          description: 'top predictions per image',
          content: { 'application/json': { schema: ClassifyResponse } },
        },
        ...ERRORS,
      },
    }),
    async (c) => {
      const { model } = c.req.valid('param');
      const { manifest, top, provider, items } = await run(c, model, 'model', c.req.valid('query').top);
      const results = items.map(({ facts, row, timings }) => ({
        ...facts,
        predictions: postprocess(row, manifest, top),
        timings,
      }));
      return c.json({ model, provider, results }, 200);
    },
  );

  router.openapi(
    createRoute({
      method: 'post',
      path: '/v1/models/{model}/embed',
      summary: "Penultimate features (the model's features variant)",
      request: { params: ModelParams, body: imageBody },
      responses: {
        200: {
          description: 'one embedding per image',
          content: { 'application/json': { schema: EmbedResponse } },
        },
        ...ERRORS,
      },
    }),
    async (c) => {
      const { model } = c.req.valid('param');
      const { provider, items } = await run(c, model, 'features');
      const results = items.map(({ facts, row, timings }) => ({
        ...facts,
        embedding: Array.from(row),
        timings,
      }));
      return c.json({ model, provider, size: items[0]!.row.length, results }, 200);
    },
  );
  return router;
}
