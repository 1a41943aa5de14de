import { describe, expect, it } from 'vitest';
import { downloadBytes, fetchWatched } from './download.js';

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);

/** A fetch whose first `stalls` calls hang as `how` says (honouring the abort signal); later ones answer. */
function flakyFetch(stalls: number, how: 'headers' | 'body') {
  const calls: number[] = [];
  const fetchFn = ((_url: string, init?: RequestInit) => {
    calls.push(Date.now());
    const signal = init?.signal as AbortSignal;
    if (calls.length > stalls) {
      return Promise.resolve(new Response(bytes, { headers: { 'content-length': '1000' } }));
    }
    if (how === 'headers') {
      return new Promise<Response>((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      );
    }
    // Headers and 100 bytes, then nothing: the body errors only when the request is aborted.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 100));
        signal.addEventListener('abort', () => controller.error(signal.reason));
      },
    });
    return Promise.resolve(new Response(body, { headers: { 'content-length': '1000' } }));
  }) as typeof fetch;
  return { fetchFn, calls };
}

type Watched = (
  url: string,
  options: { fetchFn: typeof fetch; stallMs: number; retries: number },
) => Promise<unknown>;

/** With no response ever coming, `get` gives up after its last try and says which URL stalled. */
async function expectStalledAfterLastTry(get: Watched, url: string): Promise<void> {
  const never = flakyFetch(9, 'headers');
  await expect(get(url, { fetchFn: never.fetchFn, stallMs: 20, retries: 1 })).rejects.toThrow(
    `GET ${url} stalled: no response for 20 ms, 2 tries`,
  );
  expect(never.calls).toHaveLength(2);
}

describe('downloadBytes', () => {
  it('starts over when the body stops arriving, and reports progress from 0 again', async () => {
    const { fetchFn, calls } = flakyFetch(1, 'body');
    const seen: number[] = [];
    const got = await downloadBytes('http://x/a.wasm', {
      fetchFn,
      stallMs: 40,
      onProgress: (received) => seen.push(received),
    });
    expect(got).toEqual(bytes);
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(35);
    expect(seen).toEqual([0, 100, 0, 1000]);
  });

  it('tries again when no response comes, then says what stalled after the last try', async () => {
    const recovered = flakyFetch(2, 'headers');
    expect(await downloadBytes('http://x/a.wasm', { fetchFn: recovered.fetchFn, stallMs: 30 })).toEqual(
      bytes,
    );
    expect(recovered.calls).toHaveLength(3);
    await expectStalledAfterLastTry(downloadBytes, 'http://x/b.wasm');
  });

  it('does not retry an HTTP error or a caller abort', async () => {
    let count = 0;
    const notFound = (() => {
      count++;
      return Promise.resolve(new Response('no', { status: 404, statusText: 'Not Found' }));
    }) as typeof fetch;
    await expect(downloadBytes('http://x/c', { fetchFn: notFound, stallMs: 20 })).rejects.toThrow(
      'GET http://x/c failed with 404 Not Found',
    );
    expect(count).toBe(1);

    const caller = new AbortController();
    const hanging = flakyFetch(9, 'headers');
    const pending = downloadBytes('http://x/d', {
      fetchFn: hanging.fetchFn,
      stallMs: 10_000,
      init: { signal: caller.signal },
    });
    caller.abort(new Error('page closed'));
    await expect(pending).rejects.toThrow('page closed');
    expect(hanging.calls).toHaveLength(1);
  });
});

describe('fetchWatched (small responses the caller reads: the model description)', () => {
  it('tries again when no response comes, and returns an HTTP error response unthrown', async () => {
    const recovered = flakyFetch(1, 'headers');
    const response = await fetchWatched('http://x/v1/models/m', { fetchFn: recovered.fetchFn, stallMs: 30 });
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    expect(recovered.calls).toHaveLength(2);
    await expectStalledAfterLastTry(fetchWatched, 'http://x/v1/models/n');

    let count = 0;
    const notFound = (() => {
      count++;
      return Promise.resolve(new Response('{}', { status: 404 }));
    }) as typeof fetch;
    expect((await fetchWatched('http://x/v1/models/o', { fetchFn: notFound, stallMs: 20 })).status).toBe(404);
    expect(count).toBe(1);
  });

  it('does not abort a response that came in time while its body is read later', async () => {
    const { fetchFn } = flakyFetch(0, 'headers');
    const response = await fetchWatched('http://x/v1/models/p', { fetchFn, stallMs: 20 });
    await new Promise((r) => setTimeout(r, 50));
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });
});
