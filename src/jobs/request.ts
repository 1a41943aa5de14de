import { z } from 'zod';
import { NetlensError } from '../core/errors.js';
import type { JobRequest } from './types.js';

/**
 * The body of POST /v1/hooks/tag: the image (`imageUrl` or `base64`), how to classify it, where to
 * deliver the result, and `metadata` echoed back untouched (at most 16 KiB as JSON).
 */
export const HookBodySchema = z
  .object({
    imageUrl: z
      .url({ protocol: /^https?$/ })
      .max(4096)
      .optional()
      .describe('http(s) URL of the image'),
    base64: z.string().min(1).optional().describe('the image file, base64 (a data: URL is accepted)'),
    model: z.string().min(1).max(200).optional().describe('model name (default: the server default)'),
    top: z.number().int().min(1).max(1000).optional().describe('predictions kept (default 5)'),
    threshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('labels with score ≥ threshold become tags (default 0.5)'),
    callbackUrl: z
      .url({ protocol: /^https?$/ })
      .max(4096)
      .optional()
      .describe('http(s) URL the signed result is POSTed to'),
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('echoed back in the job and the callback'),
  })
  .strict()
  .refine((b) => (b.imageUrl === undefined) !== (b.base64 === undefined), {
    message: 'give exactly one of imageUrl or base64',
    path: ['imageUrl'],
  })
  .refine((b) => b.metadata === undefined || JSON.stringify(b.metadata).length <= 16 * 1024, {
    message: 'metadata is larger than 16 KiB as JSON',
    path: ['metadata'],
  })
  .meta({ id: 'HookBody' });

export type HookBody = z.output<typeof HookBodySchema>;

export const DEFAULT_THRESHOLD = 0.5;

/** The validated body with the server's defaults filled in. */
export function jobRequestOf(body: HookBody, defaults: { model: string; top: number }): JobRequest {
  return {
    ...(body.imageUrl !== undefined && { imageUrl: body.imageUrl }),
    ...(body.base64 !== undefined && { base64: body.base64 }),
    model: body.model ?? defaults.model,
    top: body.top ?? defaults.top,
    threshold: body.threshold ?? DEFAULT_THRESHOLD,
    ...(body.callbackUrl !== undefined && { callbackUrl: body.callbackUrl }),
    ...(body.metadata !== undefined && { metadata: body.metadata }),
  };
}

/** The hook body parsed from its raw text (the signature covers the raw text, so it is read once). */
export function parseHookBody(text: string): HookBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new NetlensError('invalid_argument', `the body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = HookBodySchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({
    path: ['body', ...i.path].join('.'),
    message: i.message,
  }));
  throw new NetlensError(
    'invalid_argument',
    `invalid body: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    { details: { errors } },
  );
}
