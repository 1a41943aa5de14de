/**
 * Downloads with progress for the browser: the body is read chunk by chunk (a streamed reader) into
 * one buffer, reporting the bytes received against the total (Content-Length, else the size the
 * caller expects from a manifest or the page's asset list).
 */
export type Download = (url: string, options?: { expectedBytes?: number }) => Promise<Uint8Array>;

export type DownloadProgress = (received: number, total: number | undefined) => void;

export async function downloadBytes(
  url: string,
  options: {
    expectedBytes?: number;
    onProgress?: DownloadProgress;
    fetchFn?: typeof fetch;
    init?: RequestInit;
  } = {},
): Promise<Uint8Array> {
  const response = await (options.fetchFn ?? fetch)(url, options.init);
  if (!response.ok) throw new Error(`GET ${url} failed with ${response.status} ${response.statusText}`);
  const header = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(header) && header > 0 ? header : options.expectedBytes;
  if (response.body === null) return new Uint8Array(await response.arrayBuffer());
  let buffer = new Uint8Array(total ?? 1 << 20);
  let received = 0;
  const reader = response.body.getReader();
  options.onProgress?.(0, total);
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
    options.onProgress?.(received, total);
  }
  return received === buffer.length ? buffer : buffer.slice(0, received);
}
