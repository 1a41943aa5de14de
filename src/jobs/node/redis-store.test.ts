import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { describeJobStore } from '../../../test/support/job-store-contract.js';
import { type TestRedis, testRedis } from '../../../test/support/redis.js';
import { RedisJobStore } from './redis-store.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await testRedis();
}, 30_000);
afterAll(() => redis?.stop());

describeJobStore('Redis', async () => {
  const prefix = `test-${crypto.randomUUID()}`;
  const store = new RedisJobStore(new Redis(redis.url), prefix, `redis:${prefix}`);
  return { store, close: () => store.close() };
});
