import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { Agent, buildConnector, request } from 'undici';
import { NetlensError, isNetlensError, messageOf } from '../../core/errors.js';
import { sniffImageFormat } from '../../core/image-format.js';
import type { Address, UrlPolicy } from '../url-policy.js';

/** Names → addresses (default: the system resolver). Tests inject one to make any name resolve anywhere. */
export type Resolver = (host: string) => Promise<string[]>;

export interface SafeFetchOptions {
  policy: UrlPolicy;
  resolve?: Resolver;
  maxBytes: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxRedirects?: number;
  /** Called for every TCP connection about to be opened (tests assert that refused URLs open none). */
  onConnect?: (address: string, port: number) => void;
}

export interface SafeFetch {
  /** GETs an image: redirects (≤ maxRedirects) re-checked, size limited, type taken from the bytes. */
  image(url: string): Promise<Uint8Array>;
  /** POSTs a callback (redirects are not followed). */
  post(
    url: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; retryAfter: string | null }>;
}

const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a: LookupAddress) => a.address);

/**
 * SSRF-safe HTTP for jobs (docs/webhooks.md): each hop's URL is checked, its host resolved once, every
 * address checked, and the connection made to the checked address — undici's connector gets a lookup
 * that answers that address, so nothing resolves the name a second time (no DNS rebinding window).
 */
export function createSafeFetch(options: SafeFetchOptions): SafeFetch {
  const resolveHost = options.resolve ?? systemResolver;
  const maxRedirects = options.maxRedirects ?? 3;

  /** The checked address of a URL's host: the literal, or every resolved address checked. */
  async function addressOf(target: string): Promise<{ url: URL; address: Address }> {
    const { url, host, literal } = options.policy.checkUrl(target);
    if (literal) return { url, address: literal };
    let resolved: string[];
    try {
      resolved = await resolveHost(host);
    } catch (error) {
      throw new NetlensError('fetch_failed', `cannot resolve ${host}: ${messageOf(error)}`, {
        details: { host, permanent: /ENOTFOUND/.test(messageOf(error)) },
      });
    }
    const checked = resolved.map((a) => options.policy.checkAddress(a, host));
    if (!checked[0]) throw new NetlensError('fetch_failed', `${host} has no address`, { details: { host } });
    return { url, address: checked[0] };
  }

  /** One request to a checked address; the caller reads or dumps the body, then closes the agent. */
  async function send(
    target: string,
    init: { method: string; body?: string; headers: Record<string, string> },
    signal: AbortSignal,
  ) {
    const { url, address } = await addressOf(target);
    const connect = buildConnector({ timeout: options.connectTimeoutMs, lookup: pinnedLookup(address) });
    const agent = new Agent({
      connect: (connectOptions, callback) => {
        options.onConnect?.(address.toString(), Number(connectOptions.port));
        connect(connectOptions, callback);
      },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    try {
      const response = await request(url, { ...init, dispatcher: agent, signal });
      return { url, response, agent };
    } catch (error) {
      await agent.destroy();
      throw transportError(url, error, signal, options.timeoutMs);
    }
  }

  return {
    async image(target) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      let next = target;
      for (let hop = 0; ; hop++) {
        const { url, response, agent } = await send(
          next,
          { method: 'GET', headers: { accept: 'image/*' } },
          signal,
        );
        try {
          const location = response.headers.location;
          if (response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string') {
            await response.body.dump();
            if (hop >= maxRedirects) {
              throw new NetlensError('fetch_failed', `more than ${maxRedirects} redirects from ${target}`, {
                details: { permanent: true },
              });
            }
            next = new URL(location, url).toString();
            continue;
          }
          statusError(url, response.statusCode);
          return await readImage(url, response, options.maxBytes);
        } catch (error) {
          throw transportError(url, error, signal, options.timeoutMs);
        } finally {
          await agent.destroy();
        }
      }
    },

    async post(target, body, headers) {
      const signal = AbortSignal.timeout(options.timeoutMs);
      const { url, response, agent } = await send(target, { method: 'POST', body, headers }, signal);
      try {
        await response.body.dump({ limit: 64 * 1024 });
        const retryAfter = response.headers['retry-after'];
        return {
          status: response.statusCode,
          retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
        };
      } catch (error) {
        throw transportError(url, error, signal, options.timeoutMs);
      } finally {
        await agent.destroy();
      }
    },
  };
}

/** A lookup for net/tls.connect that answers the already-checked address, whatever it is asked. */
function pinnedLookup(address: Address) {
  const text = address.toString();
  const family = address.kind() === 'ipv6' ? 6 : 4;
  return (
    _host: string,
    lookupOptions: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    if (lookupOptions.all === true) callback(null, [{ address: text, family }]);
    else callback(null, text, family);
  };
}

type Response = Awaited<ReturnType<typeof request>>;

function statusError(url: URL, status: number): void {
  if (status >= 200 && status < 300) return;
  const retryable = status >= 500 || status === 408 || status === 429;
  throw new NetlensError('fetch_failed', `${url.host} answered ${status} for the image`, {
    details: { status, permanent: !retryable },
  });
}

async function readImage(url: URL, response: Response, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (size: string) =>
    new NetlensError(
      'payload_too_large',
      `the image at ${url.host} is ${size}; the limit is ${maxBytes} bytes`,
      {
        details: { limit: maxBytes },
      },
    );
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.destroy();
    throw tooLarge(`${declared} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      response.body.destroy();
      throw tooLarge('larger');
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(Buffer.concat(chunks));
  if (!sniffImageFormat(bytes)) {
    throw new NetlensError(
      'unsupported_media_type',
      `the bytes at ${url.host}${url.pathname} are not an image`,
      {
        details: { bytes: bytes.length },
      },
    );
  }
  return bytes;
}

function transportError(url: URL, error: unknown, signal: AbortSignal, timeoutMs: number): unknown {
  if (isNetlensError(error)) return error;
  if (signal.aborted) {
    return new NetlensError('fetch_failed', `fetching ${url.host} took longer than ${timeoutMs} ms`, {
      cause: error,
    });
  }
  const code = (error as { code?: string }).code;
  return new NetlensError('fetch_failed', `${url.host}: ${code ?? ''} ${messageOf(error)}`.trim(), {
    cause: error,
    details: { host: url.host },
  });
}
