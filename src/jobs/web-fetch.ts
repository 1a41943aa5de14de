import { NetlensError, isNetlensError, messageOf } from '../core/errors.js';
import { sniffImageFormat } from '../core/image-format.js';
import type { UrlPolicy } from './url-policy.js';

/**
 * Job HTTP for hosts that cannot resolve names before connecting (Cloudflare Workers): the same URL
 * rules on the URL and on every redirect (≤ 3) — http(s) only, no credentials, IP literals checked
 * against the same ranges, `localhost` names refused — then the platform's fetch. A name is not
 * resolved first, so a public name pointing at a private address is not caught here; on Workers the
 * request leaves through Cloudflare's network, which cannot reach your private network or loopback.
 */
export interface WebFetchOptions {
  policy: UrlPolicy;
  maxBytes: number;
  timeoutMs: number;
  fetch?: typeof fetch;
  maxRedirects?: number;
}

export function createWebFetch(options: WebFetchOptions) {
  const run = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const maxRedirects = options.maxRedirects ?? 3;

  const check = (target: string): URL => {
    const { url, host } = options.policy.checkUrl(target);
    if (host === 'localhost' || host.endsWith('.localhost')) {
      throw new NetlensError('url_refused', `refused to connect to ${host}: localhost names are refused`, {
        details: { host },
      });
    }
    return url;
  };

  const send = async (url: URL, init: RequestInit, signal: AbortSignal): Promise<Response> => {
    try {
      return await run(url, { ...init, redirect: 'manual', signal });
    } catch (error) {
      throw signal.aborted
        ? new NetlensError('fetch_failed', `fetching ${url.host} took longer than ${options.timeoutMs} ms`)
        : new NetlensError('fetch_failed', `${url.host}: ${messageOf(error)}`, {
            details: { host: url.host },
          });
    }
  };

  return {
    async image(target: string): Promise<Uint8Array> {
      const signal = AbortSignal.timeout(options.timeoutMs);
      let url = check(target);
      for (let hop = 0; ; hop++) {
        const response = await send(url, { headers: { accept: 'image/*' } }, signal);
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location !== null) {
          await response.body?.cancel();
          if (hop >= maxRedirects) {
            throw new NetlensError('fetch_failed', `more than ${maxRedirects} redirects from ${target}`, {
              details: { permanent: true },
            });
          }
          url = check(new URL(location, url).toString());
          continue;
        }
        return readImage(url, response, options.maxBytes, signal);
      }
    },

    async post(target: string, body: string, headers: Record<string, string>) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      const url = check(target);
      const response = await send(url, { method: 'POST', body, headers }, signal);
      await response.body?.cancel();
      return { status: response.status, retryAfter: response.headers.get('retry-after') };
    },
  };
}

async function readImage(
  url: URL,
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  if (!response.ok) {
    await response.body?.cancel();
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    throw new NetlensError('fetch_failed', `${url.host} answered ${response.status} for the image`, {
      details: { status: response.status, permanent: !retryable },
    });
  }
  const tooLarge = () =>
    new NetlensError('payload_too_large', `the image at ${url.host} is larger than ${maxBytes} bytes`, {
      details: { limit: maxBytes },
    });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (isNetlensError(error)) throw error;
    throw new NetlensError(
      'fetch_failed',
      signal.aborted ? `reading ${url.host} took too long` : messageOf(error),
    );
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  if (!sniffImageFormat(bytes)) {
    throw new NetlensError(
      'unsupported_media_type',
      `the bytes at ${url.host}${url.pathname} are not an image`,
    );
  }
  return bytes;
}
