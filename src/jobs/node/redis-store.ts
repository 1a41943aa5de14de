import { Redis } from 'ioredis';
import { NetlensError } from '../../core/errors.js';
import { encodeCursor, decodeCursor } from '../sql-store.js';
import {
  JOB_STATES,
  type Job,
  type JobListQuery,
  type JobState,
  type JobStats,
  type JobStore,
  type JobUpdate,
  type NewJob,
} from '../types.js';

/**
 * The job store on Redis, shared by every netlens process using the same Redis (BullMQ carries the
 * work, node/redis.ts). A job is a hash `<prefix>:job:<id>`, one field per property; leases, states and
 * due times are kept consistent with their indexes by Lua scripts, each atomic in Redis:
 *   <prefix>:due       jobs with work left and no lease, by due time
 *   <prefix>:leases    leased jobs, by lease expiry (an expired one is due again)
 *   <prefix>:state:<s> jobs by state, by creation time (listing, counts)
 *   <prefix>:created   every job by creation time;  <prefix>:finished  finished jobs by last change
 *   <prefix>:hook:<webhook-id>  the job of a webhook-id (idempotency)
 */
const RAW = new Set([
  'state',
  'dueAt',
  'leaseOwner',
  'leaseUntil',
  'attempts',
  'deliveryAttempts',
  'createdAt',
  'updatedAt',
]);
const NUMERIC = new Set(['dueAt', 'leaseUntil', 'attempts', 'deliveryAttempts', 'createdAt', 'updatedAt']);

const LIB = `
local function reindex(p, k, id)
  local f = redis.call('HMGET', k, 'dueAt', 'updatedAt', 'leaseUntil')
  redis.call('ZREM', p .. ':finished', id)
  if f[1] == '' then
    redis.call('ZREM', p .. ':due', id)
    redis.call('ZADD', p .. ':finished', f[2], id)
  elseif f[3] == '' then
    redis.call('ZADD', p .. ':due', f[1], id)
  end
end
local function apply(p, k, id, args, from)
  for i = from, #args, 2 do
    local field, value = args[i], args[i + 1]
    if field == 'state' then
      local old = redis.call('HGET', k, 'state')
      if old ~= value then
        local created = redis.call('HGET', k, 'createdAt')
        redis.call('ZREM', p .. ':state:' .. old, id)
        redis.call('ZADD', p .. ':state:' .. value, created, id)
      end
    end
    redis.call('HSET', k, field, value)
  end
end
local function take(p, id, owner, now, untilv)
  local k = p .. ':job:' .. id
  local f = redis.call('HMGET', k, 'state', 'dueAt', 'leaseUntil', 'startedAt')
  if not f[1] then return false end
  if f[2] == '' or tonumber(f[2]) > tonumber(now) then return false end
  if f[3] ~= '' and tonumber(f[3]) >= tonumber(now) then return false end
  if f[1] == 'queued' or f[1] == 'running' then
    redis.call('HINCRBY', k, 'attempts', 1)
    if f[4] == 'null' then redis.call('HSET', k, 'startedAt', now) end
    apply(p, k, id, {'state', 'running'}, 1)
  end
  redis.call('HSET', k, 'leaseOwner', owner, 'leaseUntil', untilv, 'updatedAt', now)
  redis.call('ZREM', p .. ':due', id)
  redis.call('ZADD', p .. ':leases', untilv, id)
  return redis.call('HGETALL', k)
end
`;

const SCRIPTS = {
  // KEYS: hook key. ARGV: prefix, id, createdAt, field, value, …
  insert: `local existing = redis.call('GET', KEYS[1])
    if existing then return {0, existing} end
    local p, id, now = ARGV[1], ARGV[2], ARGV[3]
    redis.call('SET', KEYS[1], id)
    local k = p .. ':job:' .. id
    for i = 4, #ARGV, 2 do redis.call('HSET', k, ARGV[i], ARGV[i + 1]) end
    redis.call('ZADD', p .. ':created', now, id)
    redis.call('ZADD', p .. ':state:queued', now, id)
    redis.call('ZADD', p .. ':due', now, id)
    return {1, id}`,
  // ARGV: prefix, id, owner, now, until
  lease: `${LIB} return take(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])`,
  // ARGV: prefix, owner, now, until
  leaseNext: `${LIB}
    local p, now = ARGV[1], ARGV[3]
    local ids = redis.call('ZRANGEBYSCORE', p .. ':due', '-inf', now, 'LIMIT', 0, 1)
    if #ids == 0 then ids = redis.call('ZRANGEBYSCORE', p .. ':leases', '-inf', '(' .. now, 'LIMIT', 0, 1) end
    if #ids == 0 then return false end
    return take(p, ids[1], ARGV[2], now, ARGV[4])`,
  // ARGV: prefix, id, owner, until
  renew: `local k = ARGV[1] .. ':job:' .. ARGV[2]
    if redis.call('HGET', k, 'leaseOwner') ~= ARGV[3] then return 0 end
    redis.call('HSET', k, 'leaseUntil', ARGV[4])
    redis.call('ZADD', ARGV[1] .. ':leases', ARGV[4], ARGV[2])
    return 1`,
  // ARGV: prefix, id, owner, now, field, value, …
  release: `${LIB}
    local p, id = ARGV[1], ARGV[2]
    local k = p .. ':job:' .. id
    if redis.call('HGET', k, 'leaseOwner') ~= ARGV[3] then return false end
    apply(p, k, id, ARGV, 5)
    redis.call('HSET', k, 'leaseOwner', '', 'leaseUntil', '', 'updatedAt', ARGV[4])
    redis.call('ZREM', p .. ':leases', id)
    reindex(p, k, id)
    return redis.call('HGETALL', k)`,
  // ARGV: prefix, id, now, count, from…, field, value, …
  transition: `${LIB}
    local p, id, now, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
    local k = p .. ':job:' .. id
    local f = redis.call('HMGET', k, 'state', 'leaseUntil')
    if not f[1] then return false end
    if f[2] ~= '' and tonumber(f[2]) >= tonumber(now) then return false end
    local ok = false
    for i = 5, 4 + n do if ARGV[i] == f[1] then ok = true end end
    if not ok then return false end
    apply(p, k, id, ARGV, 5 + n)
    redis.call('HSET', k, 'updatedAt', now, 'leaseOwner', '', 'leaseUntil', '')
    redis.call('ZREM', p .. ':leases', id)
    reindex(p, k, id)
    return redis.call('HGETALL', k)`,
  // ARGV: prefix, before, limit
  purge: `local p = ARGV[1]
    local ids = redis.call('ZRANGEBYSCORE', p .. ':finished', '-inf', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
    for _, id in ipairs(ids) do
      local k = p .. ':job:' .. id
      local f = redis.call('HMGET', k, 'webhookId', 'state')
      if f[1] then redis.call('DEL', p .. ':hook:' .. cjson.decode(f[1])) end
      if f[2] then redis.call('ZREM', p .. ':state:' .. f[2], id) end
      redis.call('DEL', k)
      redis.call('ZREM', p .. ':finished', id)
      redis.call('ZREM', p .. ':created', id)
    end
    return #ids`,
} as const;

type ScriptName = keyof typeof SCRIPTS;

export class RedisJobStore implements JobStore {
  readonly description: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    location: string,
  ) {
    this.description = location;
  }

  private run(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.redis.eval(SCRIPTS[name], keys.length, ...keys, ...args.map(String));
  }

  async insert(job: NewJob): Promise<{ job: Job; created: boolean }> {
    const fields = encode({
      id: job.id,
      webhookId: job.webhookId,
      bodyHash: job.bodyHash,
      state: 'queued',
      request: job.request,
      attempts: 0,
      deliveryAttempts: 0,
      dueAt: job.now,
      leaseOwner: null,
      leaseUntil: null,
      lastError: null,
      deliveryError: null,
      result: null,
      deliveryId: null,
      worker: null,
      createdAt: job.now,
      updatedAt: job.now,
      startedAt: null,
      finishedAt: null,
      deliveredAt: null,
    });
    const key = `${this.prefix}:hook:${job.webhookId}`;
    const [created, id] = (await this.run('insert', [key], [this.prefix, job.id, job.now, ...fields])) as [
      number,
      string,
    ];
    const stored = await this.get(id);
    if (!stored) throw new NetlensError('store_unavailable', 'the job store lost a job while storing it');
    return { job: stored, created: created === 1 };
  }

  async get(id: string): Promise<Job | undefined> {
    const hash = await this.redis.hgetall(`${this.prefix}:job:${id}`);
    return Object.keys(hash).length > 0 ? decode(hash) : undefined;
  }

  async list(query: JobListQuery): Promise<{ jobs: Job[]; next?: string }> {
    const key = query.state ? `${this.prefix}:state:${query.state}` : `${this.prefix}:created`;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const max = after ? String(after.createdAt) : '+inf';
    // Members with the cursor's score come first in reverse order and are skipped below; 100 extra covers
    // up to 100 jobs created in the same millisecond as the cursor's.
    const flat = await this.redis.zrevrangebyscore(
      key,
      max,
      '-inf',
      'WITHSCORES',
      'LIMIT',
      0,
      query.limit + 101,
    );
    const ids: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const id = flat[i]!;
      const score = Number(flat[i + 1]);
      if (after && score === after.createdAt && id >= after.id) continue;
      ids.push(id);
    }
    const jobs = (await Promise.all(ids.slice(0, query.limit).map((id) => this.get(id)))).filter(
      (j) => j !== undefined,
    );
    const last = jobs.at(-1);
    return ids.length > query.limit && last ? { jobs, next: encodeCursor(last) } : { jobs };
  }

  async lease(id: string, owner: string, now: number, leaseMs: number): Promise<Job | undefined> {
    return fromScript(await this.run('lease', [], [this.prefix, id, owner, now, now + leaseMs]));
  }

  async leaseNext(owner: string, now: number, leaseMs: number): Promise<Job | undefined> {
    return fromScript(await this.run('leaseNext', [], [this.prefix, owner, now, now + leaseMs]));
  }

  async renew(id: string, owner: string, until: number): Promise<boolean> {
    return (await this.run('renew', [], [this.prefix, id, owner, until])) === 1;
  }

  async release(id: string, owner: string, update: JobUpdate, now: number): Promise<Job | undefined> {
    return fromScript(await this.run('release', [], [this.prefix, id, owner, now, ...encode(update)]));
  }

  async transition(
    id: string,
    from: readonly JobState[],
    update: JobUpdate,
    now: number,
  ): Promise<Job | undefined> {
    const args = [this.prefix, id, now, from.length, ...from, ...encode(update)];
    return fromScript(await this.run('transition', [], args));
  }

  async dueIds(before: number, limit: number): Promise<string[]> {
    const [due, expired] = await Promise.all([
      this.redis.zrangebyscore(`${this.prefix}:due`, '-inf', before, 'LIMIT', 0, limit),
      this.redis.zrangebyscore(`${this.prefix}:leases`, '-inf', `(${before}`, 'LIMIT', 0, limit),
    ]);
    return [...due, ...expired].slice(0, limit);
  }

  async stats(now: number): Promise<JobStats> {
    const p = this.prefix;
    const pipeline = this.redis.pipeline();
    for (const state of JOB_STATES) pipeline.zcard(`${p}:state:${state}`);
    pipeline.zcount(`${p}:due`, '-inf', now);
    pipeline.zcount(`${p}:leases`, '-inf', `(${now}`);
    pipeline.zrange(`${p}:state:queued`, '0', '0', 'WITHSCORES');
    const results = ((await pipeline.exec()) ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const byState = Object.fromEntries(JOB_STATES.map((s, i) => [s, Number(results[i])])) as Record<
      JobState,
      number
    >;
    const n = JOB_STATES.length;
    const oldest = results[n + 2] as string[];
    return {
      byState,
      waiting: Number(results[n]) + Number(results[n + 1]),
      oldestQueuedAt: oldest[1] !== undefined ? Number(oldest[1]) : null,
    };
  }

  async purge(before: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = Number(await this.run('purge', [], [this.prefix, before, 500]));
      total += n;
      if (n < 500) return total;
    }
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

/** Job fields → hash field/value pairs: lease and index fields raw ('' for null), the rest JSON. */
function encode(fields: Partial<Job> | JobUpdate): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out.push(key, RAW.has(key) ? (value === null ? '' : String(value)) : JSON.stringify(value));
  }
  return out;
}

function decode(hash: Record<string, string>): Job {
  const job: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(hash)) {
    if (!RAW.has(key)) job[key] = JSON.parse(text) as unknown;
    else if (text === '') job[key] = null;
    else job[key] = NUMERIC.has(key) ? Number(text) : text;
  }
  return job as unknown as Job;
}

function fromScript(reply: unknown): Job | undefined {
  if (!Array.isArray(reply) || reply.length === 0) return undefined;
  const hash: Record<string, string> = {};
  for (let i = 0; i < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  return decode(hash);
}
