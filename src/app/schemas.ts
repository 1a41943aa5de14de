import { z } from '@hono/zod-openapi';
import { ERROR_CODES } from '../core/errors.js';

/** zod schemas of the API: request validation and the OpenAPI document (/openapi.json). */

export const ModelParams = z.object({
  model: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'model', in: 'path' }, example: 'nsfw-mobilenet-v2' }),
});

export const FileParams = ModelParams.extend({
  variant: z.enum(['model', 'features']).openapi({ param: { name: 'variant', in: 'path' } }),
});

export const ContentFileParams = FileParams.extend({
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256')
    .openapi({ param: { name: 'sha256', in: 'path' }, description: "the file's sha256 (from the manifest)" }),
});

export const ClassifyQuery = z.object({
  top: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .openapi({
      param: { name: 'top', in: 'query' },
      description: 'predictions per image (1–1000, at most the number of classes; default 5)',
      example: 5,
    }),
});

export const Prediction = z
  .object({
    index: z.number().int().openapi({ description: 'class index in the model output' }),
    id: z.string().openapi({ description: 'class id, e.g. a WordNet id', example: 'n02088364' }),
    label: z.string().openapi({ example: 'beagle' }),
    score: z.number().openapi({ description: 'probability (0–1)', example: 0.9448 }),
  })
  .openapi('Prediction');

const notMeasured = 'null when the runtime cannot measure it (clock "io")';

export const Timings = z
  .object({
    decodeMs: z.number().nullable().openapi({ description: notMeasured }),
    preprocessMs: z.number().nullable().openapi({ description: notMeasured }),
    queueMs: z
      .number()
      .nullable()
      .openapi({
        description: `waiting for its batch (includes loading a cold model); ${notMeasured}`,
      }),
    inferenceMs: z
      .number()
      .nullable()
      .openapi({ description: `the engine call of the image's batch; ${notMeasured}` }),
    batchSize: z.number().int(),
    totalMs: z.number().openapi({
      description:
        'from the start of the request to the answer; with clock "io", only the time spent waiting on I/O',
    }),
    clock: z.enum(['wall', 'io']).openapi({
      description:
        '"wall": every duration is wall time (Node). "io": the runtime\'s clock stands still during CPU work and ' +
        'moves only across I/O (Cloudflare Workers), so decode, preprocess, queue and inference are not ' +
        'measured (null) and totalMs counts only I/O waits (docs/edge.md)',
    }),
  })
  .openapi('Timings');

const ImageFacts = {
  name: z.string().openapi({ description: 'file name (multipart), JSON name, or image[i]' }),
  format: z.string().openapi({ description: 'format detected from the bytes', example: 'jpeg' }),
  width: z.number().int(),
  height: z.number().int(),
};

export const ClassifyResponse = z
  .object({
    model: z.string(),
    provider: z.string().openapi({ description: 'execution provider that ran the model', example: 'cpu' }),
    results: z.array(z.object({ ...ImageFacts, predictions: z.array(Prediction), timings: Timings })),
  })
  .openapi('ClassifyResponse');

export const EmbedResponse = z
  .object({
    model: z.string(),
    provider: z.string(),
    size: z.number().int().openapi({ description: 'embedding length' }),
    results: z.array(z.object({ ...ImageFacts, embedding: z.array(z.number()), timings: Timings })),
  })
  .openapi('EmbedResponse');

const VariantStatus = z
  .object({
    state: z.enum(['unloaded', 'loading', 'ready', 'failed']),
    provider: z.string().optional(),
    fallbacks: z.array(z.object({ provider: z.string(), error: z.string() })).optional(),
    estimatedBytes: z.number().optional(),
    loadMs: z.number().optional(),
    warmupMs: z.number().optional(),
    lastUsedAt: z.string().optional(),
    error: z.string().optional().openapi({ description: 'why the last load failed (never a file path)' }),
    attempts: z.number().int().optional().openapi({ description: 'failed loads in a row' }),
    retryAt: z.string().optional().openapi({ description: 'when the next use tries to load it again' }),
  })
  .openapi('LoadStatus');

const FileRef = z
  .object({
    sha256: z.string(),
    bytes: z.number().int().optional().openapi({ description: 'file size, when the store can tell' }),
    url: z
      .string()
      .optional()
      .openapi({
        description:
          'content-addressed URL (immutable; a new file gets a new URL); absent when files are not exposed',
        example: `/v1/models/nsfw-mobilenet-v2/files/model/${'0'.repeat(64)}`,
      }),
  })
  .openapi('ModelFile');

const ModelFiles = z.object({ model: FileRef, features: FileRef.optional() });

export const ModelCard = z
  .object({
    description: z.string().optional(),
    summary: z.string().optional().openapi({ description: 'what the model does (and does not)' }),
    intendedUse: z.string().optional(),
    limitations: z.string().optional(),
    origin: z.string().optional().openapi({ description: 'where the model and its weights come from' }),
    classes: z
      .array(
        z.object({
          index: z.number().int(),
          id: z.string(),
          label: z.string(),
          meaning: z.string().optional(),
        }),
      )
      .optional()
      .openapi({ description: 'every class and what it means (GET /v1/models/{model} only)' }),
    input: z.string().openapi({ example: "224×224 RGB (NHWC float32, input 'input')" }),
    preprocessing: z.string().openapi({ description: 'the preprocessing every runtime applies, in words' }),
    provenance: z.object({
      source: z.string(),
      format: z.string(),
      kerasVersion: z.string().optional(),
      converter: z.string(),
      convertedAt: z.string(),
      license: z.string().optional(),
      parameters: z.number().int(),
      sourceSha256: z.string().optional().openapi({ description: 'sha256 of the file that was converted' }),
      verification: z
        .object({
          reference: z.string(),
          maxAbsDiff: z.number(),
          top1Agreement: z.number(),
          samples: z.number(),
        })
        .nullable()
        .openapi({ description: 'comparison with the reference implementation; null when not verified' }),
      verified: z.string().openapi({ description: 'the verification result in words' }),
    }),
  })
  .openapi('ModelCard', {
    description: "the manifest's card (docs/manifest.md) with the model's facts spelled out",
  });

export const ModelSummary = z
  .object({
    name: z.string(),
    architecture: z.string(),
    description: z.string().optional(),
    default: z.boolean(),
    input: z.object({ height: z.number(), width: z.number(), channels: z.number() }),
    classes: z.number().int(),
    embed: z.boolean().openapi({ description: 'has a features variant (/embed)' }),
    state: VariantStatus.shape.state,
    provider: z.string().optional(),
    card: ModelCard,
    files: ModelFiles,
  })
  .openapi('ModelSummary');

export const ModelList = z
  .object({ default: z.string(), engine: z.string(), models: z.array(ModelSummary) })
  .openapi('ModelList');

export const RescanResponse = z
  .object({
    models: z.array(z.string()).openapi({ description: 'every model installed now' }),
    added: z.array(z.string()).openapi({ description: 'models this server had not seen before' }),
    changed: z
      .array(z.string())
      .openapi({ description: 'models replaced on disk: the next request loads the new files' }),
    removed: z.array(z.string()).openapi({ description: 'models no longer installed' }),
  })
  .openapi('RescanResponse');

export const ModelDetail = z
  .object({
    name: z.string(),
    default: z.boolean(),
    engine: z.string(),
    manifest: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'the model manifest (docs/manifest.md)' }),
    load: z.object({ model: VariantStatus, features: VariantStatus.optional() }),
    card: ModelCard,
    files: ModelFiles,
  })
  .openapi('ModelDetail');

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/problems/unknown-model' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
    instance: z.string().optional(),
    requestId: z.string().optional(),
  })
  .catchall(z.unknown())
  .openapi('Problem', {
    description: 'RFC 9457 problem details; extra members carry facts (models, limit, …)',
  });

export function problems(...statuses: number[]) {
  const out: Record<
    number,
    { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }
  > = {};
  for (const status of statuses) {
    out[status] = {
      description: PROBLEM_DESCRIPTIONS[status] ?? 'error',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  }
  return out;
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid parameter or body',
  401: 'missing or wrong API key',
  404: 'unknown model (the answer lists the installed ones)',
  413: 'body or image count over the limit',
  415: 'not an image format the server decodes (detected from the bytes)',
  422: 'the image could not be decoded, or has too many pixels',
  429: 'rate limit exceeded (Retry-After)',
  503: 'queue full (Retry-After), model not ready, or shutting down',
  504: 'the request took longer than the server timeout',
};
