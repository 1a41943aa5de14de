/**
 * Load for webhook-job tests and the jobs bench: a loopback image server (the shared photos, by index)
 * and a sender of N signed hooks with bounded concurrency.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { signedHeaders } from './webhooks.js';

export const PHOTOS_DIR = resolve(import.meta.dirname, '../../../shared/data/images');

export function photos(): Buffer[] {
  return readdirSync(PHOTOS_DIR)
    .sort()
    .map((name) => readFileSync(join(PHOTOS_DIR, name)));
}

export interface ImageServer {
  /** URL of image i (cycling through the photos). */
  url(i: number): string;
  requests(): number;
  close(): Promise<void>;
}

export async function startImageServer(host = '127.0.0.1'): Promise<ImageServer> {
  const images = photos();
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    const i = Number(/^\/image\/(\d+)$/.exec(req.url ?? '')?.[1] ?? NaN);
    if (!Number.isInteger(i)) return void res.writeHead(404).end();
    const bytes = images[i % images.length]!;
    res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as AddressInfo;
  return {
    url: (i) => `http://${host}:${port}/image/${i}`,
    requests: () => count,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Sends `count` signed hooks (image i, callback) to `base`, `concurrency` at a time; returns the job ids. */
export async function sendHooks(
  base: () => string,
  count: number,
  body: (i: number) => Record<string, unknown>,
  concurrency = 8,
): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const text = JSON.stringify(body(i));
      const headers = signedHeaders(text, { id: `msg_load_${i}` });
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetch(`${base()}/v1/hooks/tag`, { method: 'POST', body: text, headers });
          if (res.status !== 202 && res.status !== 200)
            throw new Error(`hook ${i}: ${res.status} ${await res.text()}`);
          ids[i] = ((await res.json()) as { jobId: string }).jobId;
          break;
        } catch (error) {
          if (attempt >= 50) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}
