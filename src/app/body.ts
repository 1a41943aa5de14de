import { z } from 'zod';
import { decodeBase64Async } from '../core/base64.js';
import { NetlensError } from '../core/errors.js';

/**
 * Reads the images of a classify/embed request from any of the three body formats:
 * raw bytes (image/*, application/octet-stream — or any other type: the bytes decide, see sniff.ts),
 * multipart/form-data (every file part, any field name; a `top` field is honoured), or JSON
 * `{ "images": [{ "base64": "…", "name"?: "…" }], "top"?: 5 }` (data: URLs accepted).
 */
export interface RequestImage {
  bytes: Uint8Array;
  /** File name (multipart), JSON `name`, or `image` / `image[i]`. */
  name: string;
}

export interface RequestImages {
  images: RequestImage[];
  top?: number;
  format: 'raw' | 'multipart' | 'json';
}

const Top = z.coerce.number().int().min(1).max(1000);

export const JsonBodySchema = z
  .object({
    images: z
      .array(
        z.object({
          base64: z.string().min(1).describe('the image file, base64 (a data: URL is accepted)'),
          name: z.string().optional().describe('echoed back in the result'),
        }),
      )
      .min(1),
    top: Top.optional().describe('predictions per image (1–1000, default 5)'),
  })
  .meta({ id: 'ClassifyJsonBody' });

export async function readImages(request: Request, maxImages: number): Promise<RequestImages> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  let result: RequestImages;
  if (type === 'application/json' || type.endsWith('+json')) result = await readJson(request, maxImages);
  else if (type === 'multipart/form-data') result = await readMultipart(request);
  else {
    const bytes = new Uint8Array(await request.arrayBuffer());
    result = { images: bytes.length > 0 ? [{ bytes, name: 'image' }] : [], format: 'raw' };
  }
  if (result.images.length === 0) {
    throw new NetlensError(
      'invalid_argument',
      'the request has no image: send the image bytes as the body, multipart/form-data files, or JSON {"images":[{"base64":"…"}]}',
    );
  }
  checkImageCount(result.images.length, maxImages);
  return result;
}

function checkImageCount(images: number, maxImages: number): void {
  if (images > maxImages) {
    throw new NetlensError(
      'payload_too_large',
      `${images} images in one request; the limit is ${maxImages}`,
      {
        details: { limit: maxImages, images },
      },
    );
  }
}

async function readJson(request: Request, maxImages: number): Promise<RequestImages> {
  let value: unknown;
  try {
    value = await request.json();
  } catch (error) {
    throw new NetlensError('invalid_argument', `the body is not valid JSON: ${(error as Error).message}`);
  }
  // Counted before validation: a million-entry `images` would otherwise cost seconds of zod issues.
  const listed = (value as { images?: unknown } | null)?.images;
  if (Array.isArray(listed)) checkImageCount(listed.length, maxImages);
  const parsed = JsonBodySchema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, 'body');
  // Decoded in chunks with yields between them: a 31 MB image does not hold the event loop.
  const images: RequestImage[] = [];
  for (const [i, image] of parsed.data.images.entries()) {
    const bytes = await decodeBase64Async(image.base64, `images[${i}].base64`);
    images.push({ bytes, name: image.name ?? `images[${i}]` });
  }
  return { images, ...(parsed.data.top !== undefined && { top: parsed.data.top }), format: 'json' };
}

async function readMultipart(request: Request): Promise<RequestImages> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch (error) {
    throw new NetlensError(
      'invalid_argument',
      `the multipart body could not be parsed: ${(error as Error).message}`,
    );
  }
  const images: RequestImage[] = [];
  let top: number | undefined;
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') {
      if (field === 'top') {
        const parsed = Top.safeParse(value);
        if (!parsed.success) throw validationError(parsed.error, 'top');
        top = parsed.data;
      }
      continue;
    }
    images.push({
      bytes: new Uint8Array(await value.arrayBuffer()),
      name: value.name || `${field}[${images.length}]`,
    });
  }
  return { images, ...(top !== undefined && { top }), format: 'multipart' };
}

/** Problems listed in one invalid_argument answer at most (a hostile body can have millions). */
const MAX_LISTED_ERRORS = 20;

/** A zod failure as one invalid_argument error listing its problems (the first MAX_LISTED_ERRORS). */
export function validationError(error: z.ZodError, where: string): NetlensError {
  const errors = error.issues
    .slice(0, MAX_LISTED_ERRORS)
    .map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  const more = error.issues.length - errors.length;
  return new NetlensError(
    'invalid_argument',
    `invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
    { details: { errors, ...(more > 0 && { moreErrors: more }) } },
  );
}
