/**
 * Downloads with progress for the browser: the body is read chunk by chunk (a streamed reader) into
 * one buffer, reporting the bytes received against the total (Content-Length, else the size the
 * caller expects from a manifest or the page's asset list).
 *
 * A download that stalls (no response, or no bytes, for `stallMs`) is aborted and tried again, up to
 * `retries` times, starting over: a mobile connection that drops silently, or a keep-alive socket that
 * a server stops reading (wrangler dev does this now and then), would otherwise leave the page waiting
 * forever. After the last try the error says what stalled and how often it was tried.
 */
export type Download = (url: string, options?: { expectedBytes?: number }) => Promise<Uint8Array>;

export type DownloadProgress = (received: number, total: number | undefined) => void;

/** No response or no bytes for this long: the try is aborted and the download starts again. */
export const DEFAULT_STALL_MS = 15_000;
/** Tries after the first one that stalled. */
export const DEFAULT_RETRIES = 2;

export interface DownloadOptions {
  expectedBytes?: number;
  onProgress?: DownloadProgress;
  fetchFn?: typeof fetch;
  init?: RequestInit;
  stallMs?: number;
  retries?: number;
}

export class DownloadStalled extends Error {
  override readonly name = 'DownloadStalled';
}

export function downloadBytes(url: string, options: DownloadOptions = {}): Promise<Uint8Array> {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  return retryingStalls(url, options.retries ?? DEFAULT_RETRIES, () => downloadOnce(url, options, stallMs));
}

/**
 * GET `url` for its response, watched the same way: no response (headers) for `stallMs` aborts the try
 * and starts another, up to `retries` times. For small bodies the caller reads itself (the model's JSON
 * description); an HTTP error status is returned, not thrown, so the caller can read its problem details.
 */
export function fetchWatched(
  url: string,
  options: Pick<DownloadOptions, 'fetchFn' | 'init' | 'stallMs' | 'retries'> = {},
): Promise<Response> {
  const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
  return retryingStalls(url, options.retries ?? DEFAULT_RETRIES, async () => {
    const controller = new AbortController();
    let stalled: DownloadStalled | undefined;
    const timer = setTimeout(() => {
      stalled = new DownloadStalled(`no response for ${stallMs} ms`);
      controller.abort(stalled);
    }, stallMs);
    try {
      return await (options.fetchFn ?? fetch)(url, { ...options.init, signal: controller.signal });
    } catch (error) {
      throw stalled ?? error;
    } finally {
      clearTimeout(timer);
    }
  });
}

/** Runs `once` again while it stalls, at most `retries` more times; then says what stalled. */
async function retryingStalls<T>(url: string, retries: number, once: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await once();
    } catch (error) {
      if (!(error instanceof DownloadStalled)) throw error;
      if (attempt >= retries) {
        throw new Error(`GET ${url} stalled: ${error.message}, ${attempt + 1} tries`, { cause: error });
      }
    }
  }
}

async function downloadOnce(url: string, options: DownloadOptions, stallMs: number): Promise<Uint8Array> {
  const controller = new AbortController();
  const outer = options.init?.signal;
  if (outer?.aborted) throw outer.reason;
  const forward = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', forward, { once: true });
  let stalled: DownloadStalled | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watch = (what: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = new DownloadStalled(`${what} for ${stallMs} ms`);
      controller.abort(stalled);
    }, stallMs);
  };
  try {
    watch('no response');
    const response = await (options.fetchFn ?? fetch)(url, { ...options.init, signal: controller.signal });
    if (!response.ok) throw new Error(`GET ${url} failed with ${response.status} ${response.statusText}`);
    const header = Number(response.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(header) && header > 0 ? header : options.expectedBytes;
    options.onProgress?.(0, total);
    if (response.body === null) {
      clearTimeout(timer); // no stream to watch: a slow body is not a stall
      return new Uint8Array(await response.arrayBuffer());
    }
    watch('no data');
    return await readAll(response.body, total, (received) => {
      watch('no data');
      options.onProgress?.(received, total);
    });
  } catch (error) {
    throw stalled ?? error;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', forward);
  }
}

async function readAll(
  body: ReadableStream<Uint8Array>,
  total: number | undefined,
  onChunk: (received: number) => void,
): Promise<Uint8Array> {
  let buffer = new Uint8Array(total ?? 1 << 20);
  let received = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > buffer.length) {
      const grown = new Uint8Array(Math.max(buffer.length * 2, received + value.length));
      grown.set(buffer.subarray(0, received));
      buffer = grown;
    }
    buffer.set(value, received);
    received += value.length;
    onChunk(received);
  }
  return received === buffer.length ? buffer : buffer.slice(0, received);
}
