import { z } from 'zod';
import { decodeBase64Async } from '../core/base64.js';
import { NetlensError, isNetlensError } from '../core/errors.js';
import { ClientClosedRequest } from './client-closed.js';

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

/** How a request body is read: at most `maxBytes`, given up when `signal` aborts (the request deadline). */
export interface BodyLimits {
  maxBytes: number;
  signal: AbortSignal;
}

/**
 * A JSON body's bytes → its images (parse, validate, base64-decode). The runtime kit may run it off the
 * HTTP thread (Node: the prepare pool), where a 32 MB JSON.parse does not stop the server; default
 * `readJsonImages` on the calling thread.
 */
export type ReadJsonImages = (bytes: Uint8Array, maxImages: number) => Promise<RequestImages>;

export async function readImages(
  request: Request,
  maxImages: number,
  limits: BodyLimits,
  readJson: ReadJsonImages = readJsonImages,
): Promise<RequestImages> {
  const contentType = request.headers.get('content-type') ?? '';
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const bytes = await readBody(request, limits);
  limits.signal.throwIfAborted();
  let result: RequestImages;
  if (type === 'application/json' || type.endsWith('+json')) result = await readJson(bytes, maxImages);
  else if (type === 'multipart/form-data') result = await readMultipart(bytes, contentType, maxImages);
  else result = { images: bytes.length > 0 ? [{ bytes, name: 'image' }] : [], format: 'raw' };
  if (result.images.length === 0) {
    throw new NetlensError(
      'invalid_argument',
      'the request has no image: send the image bytes as the body, multipart/form-data files, or JSON {"images":[{"base64":"…"}]}',
    );
  }
  checkImageCount(result.images.length, maxImages);
  return result;
}

/**
 * The whole body, read while the request's deadline runs (the caller's `signal`) and never more than
 * `maxBytes`. A body with a declared Content-Length (already checked against the limit by the guard
 * middleware, and enforced by the HTTP parser) is read with `arrayBuffer()`: on Node that reads straight
 * from the socket (@hono/node-server's fast path). A body of unknown length (chunked) is counted chunk
 * by chunk and abandoned as soon as it passes the limit (413) or the signal aborts (the deadline: 504),
 * so a never-ending upload cannot outlive the deadline. A read that fails otherwise can only be the
 * client's connection going away: ClientClosedRequest (499), never a 500.
 */
export async function readBody(
  request: Request,
  { maxBytes, signal }: BodyLimits,
): Promise<Uint8Array<ArrayBuffer>> {
  signal.throwIfAborted();
  const declared = request.headers.has('content-length') && !request.headers.has('transfer-encoding');
  try {
    if (declared || request.body === null) return new Uint8Array(await request.arrayBuffer());
    return await readCounted(request.body, maxBytes, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (isNetlensError(error)) throw error;
    throw new ClientClosedRequest(
      `the client closed the connection while sending the body: ${String(error)}`,
    );
  }
}

async function readCounted(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array<ArrayBuffer>> {
  const reader = body.getReader();
  const stop = (): void => void reader.cancel(signal.reason).catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        stop();
        throw new NetlensError('payload_too_large', `the body is larger than ${maxBytes} bytes`, {
          details: { limit: maxBytes },
        });
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
  // A cancelled reader ends as if the body were complete: a body cut at the deadline is not one.
  signal.throwIfAborted();
  // Stream chunks never sit on a SharedArrayBuffer.
  if (chunks.length === 1) return chunks[0]! as Uint8Array<ArrayBuffer>;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
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

export async function readJsonImages(bytes: Uint8Array, maxImages: number): Promise<RequestImages> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
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
    const decoded = await decodeBase64Async(image.base64, `images[${i}].base64`);
    images.push({ bytes: decoded, name: image.name ?? `images[${i}]` });
  }
  return { images, ...(parsed.data.top !== undefined && { top: parsed.data.top }), format: 'json' };
}

/** Form fields besides the files a multipart body may carry (`top`, and whatever a form adds). */
const MULTIPART_EXTRA_PARTS = 16;

async function readMultipart(
  bytes: Uint8Array<ArrayBuffer>,
  contentType: string,
  maxImages: number,
): Promise<RequestImages> {
  // Parts counted by their boundaries before parsing: the platform's form parser takes seconds of the
  // event loop over thousands of parts, and more than maxImages files are refused anyway. A type with two
  // boundary parameters (one hidden in a quoted string) could make the count and the parser disagree.
  if ((contentType.match(/boundary\s*=/gi) ?? []).length > 1) {
    throw new NetlensError(
      'invalid_argument',
      'the multipart Content-Type has more than one boundary parameter',
    );
  }
  const parts = countParts(bytes, contentType);
  if (parts > maxImages + MULTIPART_EXTRA_PARTS) {
    throw new NetlensError(
      'payload_too_large',
      `${parts} parts in one multipart body; the limit is ${maxImages} images (NETLENS_MAX_IMAGES) and ${MULTIPART_EXTRA_PARTS} other fields`,
      { details: { limit: maxImages, parts } },
    );
  }
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
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

/** Occurrences of the multipart boundary (`--boundary` at a line start) in `bytes`; 0 without one. */
export function countParts(bytes: Uint8Array, contentType: string): number {
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const value = boundary?.[1] ?? boundary?.[2];
  if (!value) return 0;
  const delimiter = new TextEncoder().encode(`\r\n--${value}`);
  const at = (from: number): number => {
    // TypedArray indexOf is native: candidates by the first byte, then the rest compared.
    for (let i = bytes.indexOf(delimiter[0]!, from); i >= 0; i = bytes.indexOf(delimiter[0]!, i + 1)) {
      let j = 1;
      while (j < delimiter.length && bytes[i + j] === delimiter[j]) j++;
      if (j === delimiter.length) return i;
    }
    return -1;
  };
  // The first delimiter may open the body without the CRLF before it.
  const opens = delimiter.subarray(2).every((b, k) => bytes[k] === b);
  let count = opens ? 1 : 0;
  for (let i = at(0); i >= 0; i = at(i + delimiter.length)) count += 1;
  return Math.max(0, count - 1); // the last delimiter closes the body
}
