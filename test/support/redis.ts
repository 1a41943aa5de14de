/**
 * A Redis for tests: NETLENS_TEST_REDIS_URL when set (CI: .ci/run starts redis-server on 127.0.0.1:6390
 * and sets it) — it must answer, or the test fails — else a redis-server child on a free loopback port.
 * No Redis at all is a failure with the install hint, never a skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function ping(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      redis.disconnect();
    }
  }
}

export async function testRedis(): Promise<TestRedis> {
  const given = process.env.NETLENS_TEST_REDIS_URL;
  if (given) {
    await ping(given, 5000).catch((error: unknown) => {
      throw new Error(
        `NETLENS_TEST_REDIS_URL=${given} does not answer (${String(error)}); .ci/run starts it`,
      );
    });
    return { url: given, stop: async () => undefined };
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(
        new Error(`redis-server could not start (${error.message}): run scripts/install-system-deps.sh`),
      ),
    ),
  );
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([ping(url, 10_000), failed]);
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
