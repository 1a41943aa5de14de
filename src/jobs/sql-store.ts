import { NetlensError } from '../core/errors.js';
import {
  FINISHED_STATES,
  JOB_STATES,
  type Job,
  type JobListQuery,
  type JobState,
  type JobStats,
  type JobStore,
  type JobUpdate,
  type NewJob,
} from './types.js';

/**
 * The job store written once in SQL for both SQLite dialects netlens meets: better-sqlite3 on Node
 * (node/sqlite.ts) and Cloudflare D1 in the Worker. Each job is one row; leases and "due" are columns,
 * so leasing is one atomic UPDATE … RETURNING (SQLite serialises writers, also across processes).
 */
export type SqlValue = string | number | null;

/** The little a database must do: run one statement with `?` parameters and return its rows. */
export interface SqlDatabase {
  query<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  close(): Promise<void>;
}

const TABLE = 'netlens_jobs';

/** One statement per entry (D1's exec splits on lines; these run through query one by one). */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS ${TABLE} (id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL UNIQUE, body_hash TEXT NOT NULL, state TEXT NOT NULL, request TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, delivery_attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER, lease_owner TEXT, lease_until INTEGER, last_error TEXT, delivery_error TEXT, result TEXT, delivery_id TEXT, worker TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, delivered_at INTEGER)`,
  `CREATE INDEX IF NOT EXISTS ${TABLE}_due ON ${TABLE} (due_at) WHERE due_at IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS ${TABLE}_created ON ${TABLE} (created_at, id)`,
  `CREATE INDEX IF NOT EXISTS ${TABLE}_state ON ${TABLE} (state, created_at, id)`,
];

const COLUMNS: Record<keyof JobUpdate, string> = {
  state: 'state',
  dueAt: 'due_at',
  lastError: 'last_error',
  deliveryError: 'delivery_error',
  result: 'result',
  deliveryId: 'delivery_id',
  deliveryAttempts: 'delivery_attempts',
  attempts: 'attempts',
  worker: 'worker',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  deliveredAt: 'delivered_at',
};
const JSON_FIELDS = new Set<keyof JobUpdate>(['lastError', 'deliveryError', 'result']);

/** Not leased by anyone alive at `now` (two parameters: now, now). */
const FREE = '(lease_until IS NULL OR lease_until < ?)';
const DUE = 'due_at IS NOT NULL AND due_at <= ?';
const TAKE = `lease_owner = ?, lease_until = ?, updated_at = ?,
  attempts = attempts + (CASE WHEN state IN ('queued', 'running') THEN 1 ELSE 0 END),
  started_at = (CASE WHEN state IN ('queued', 'running') THEN COALESCE(started_at, ?) ELSE started_at END),
  state = (CASE WHEN state IN ('queued', 'running') THEN 'running' ELSE state END)`;

export class SqlJobStore implements JobStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly db: SqlDatabase,
    readonly description: string,
  ) {}

  /** Creates the table and indexes once (idempotent). */
  init(): Promise<void> {
    return (this.ready ??= (async () => {
      for (const statement of SCHEMA) await this.db.query(statement);
    })());
  }

  async insert(job: NewJob): Promise<{ job: Job; created: boolean }> {
    await this.init();
    const rows = await this.db.query<Row>(
      `INSERT INTO ${TABLE} (id, webhook_id, body_hash, state, request, due_at, created_at, updated_at)
       VALUES (?, ?, ?, 'queued', ?, ?, ?, ?) ON CONFLICT (webhook_id) DO NOTHING RETURNING *`,
      [job.id, job.webhookId, job.bodyHash, JSON.stringify(job.request), job.now, job.now, job.now],
    );
    if (rows[0]) return { job: toJob(rows[0]), created: true };
    const existing = await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE webhook_id = ?`, [job.webhookId]);
    if (!existing[0])
      throw new NetlensError('store_unavailable', 'the job store lost a job while storing it');
    return { job: toJob(existing[0]), created: false };
  }

  async get(id: string): Promise<Job | undefined> {
    await this.init();
    const rows = await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE id = ?`, [id]);
    return rows[0] && toJob(rows[0]);
  }

  async list(query: JobListQuery): Promise<{ jobs: Job[]; next?: string }> {
    await this.init();
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (query.state) {
      where.push('state = ?');
      params.push(query.state);
    }
    if (query.cursor !== undefined) {
      const { createdAt, id } = decodeCursor(query.cursor);
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(createdAt, createdAt, id);
    }
    const rows = await this.db.query<Row>(
      `SELECT * FROM ${TABLE} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...params, query.limit + 1],
    );
    const jobs = rows.slice(0, query.limit).map(toJob);
    const last = jobs.at(-1);
    return rows.length > query.limit && last ? { jobs, next: encodeCursor(last) } : { jobs };
  }

  async lease(id: string, owner: string, now: number, leaseMs: number): Promise<Job | undefined> {
    await this.init();
    const rows = await this.db.query<Row>(
      `UPDATE ${TABLE} SET ${TAKE} WHERE id = ? AND ${DUE} AND ${FREE} RETURNING *`,
      [owner, now + leaseMs, now, now, id, now, now],
    );
    return rows[0] && toJob(rows[0]);
  }

  async leaseNext(owner: string, now: number, leaseMs: number): Promise<Job | undefined> {
    await this.init();
    const rows = await this.db.query<Row>(
      `UPDATE ${TABLE} SET ${TAKE}
       WHERE id = (SELECT id FROM ${TABLE} WHERE ${DUE} AND ${FREE} ORDER BY due_at LIMIT 1) AND ${DUE} AND ${FREE}
       RETURNING *`,
      [owner, now + leaseMs, now, now, now, now, now, now],
    );
    return rows[0] && toJob(rows[0]);
  }

  async renew(id: string, owner: string, until: number): Promise<boolean> {
    await this.init();
    const rows = await this.db.query(
      `UPDATE ${TABLE} SET lease_until = ? WHERE id = ? AND lease_owner = ? RETURNING id`,
      [until, id, owner],
    );
    return rows.length > 0;
  }

  async release(id: string, owner: string, update: JobUpdate, now: number): Promise<Job | undefined> {
    await this.init();
    const { sets, params } = assignments(update);
    const rows = await this.db.query<Row>(
      `UPDATE ${TABLE} SET ${[...sets, 'lease_owner = NULL', 'lease_until = NULL', 'updated_at = ?'].join(', ')}
       WHERE id = ? AND lease_owner = ? RETURNING *`,
      [...params, now, id, owner],
    );
    return rows[0] && toJob(rows[0]);
  }

  async transition(
    id: string,
    from: readonly JobState[],
    update: JobUpdate,
    now: number,
  ): Promise<Job | undefined> {
    await this.init();
    const { sets, params } = assignments(update);
    const rows = await this.db.query<Row>(
      `UPDATE ${TABLE} SET ${[...sets, 'updated_at = ?'].join(', ')}
       WHERE id = ? AND state IN (${from.map(() => '?').join(', ')}) AND ${FREE} RETURNING *`,
      [...params, now, id, ...from, now],
    );
    return rows[0] && toJob(rows[0]);
  }

  async dueIds(before: number, limit: number): Promise<string[]> {
    await this.init();
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM ${TABLE} WHERE ${DUE} AND ${FREE} ORDER BY due_at LIMIT ?`,
      [before, before, limit],
    );
    return rows.map((r) => r.id);
  }

  async stats(now: number): Promise<JobStats> {
    await this.init();
    const counts = await this.db.query<{ state: JobState; n: number }>(
      `SELECT state, COUNT(*) AS n FROM ${TABLE} GROUP BY state`,
    );
    const [waiting] = await this.db.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${TABLE} WHERE ${DUE} AND ${FREE}`,
      [now, now],
    );
    const [oldest] = await this.db.query<{ t: number | null }>(
      `SELECT MIN(created_at) AS t FROM ${TABLE} WHERE state = 'queued'`,
    );
    const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const { state, n } of counts) byState[state] = Number(n);
    return { byState, waiting: Number(waiting?.n ?? 0), oldestQueuedAt: oldest?.t ?? null };
  }

  async purge(before: number): Promise<number> {
    await this.init();
    const rows = await this.db.query(
      `DELETE FROM ${TABLE} WHERE due_at IS NULL AND state IN (${FINISHED_STATES.map(() => '?').join(', ')})
       AND updated_at < ? RETURNING id`,
      [...FINISHED_STATES, before],
    );
    return rows.length;
  }

  async ping(): Promise<void> {
    await this.init();
    await this.db.query('SELECT 1 AS ok');
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

interface Row {
  id: string;
  webhook_id: string;
  body_hash: string;
  state: JobState;
  request: string;
  attempts: number;
  delivery_attempts: number;
  due_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  delivery_error: string | null;
  result: string | null;
  delivery_id: string | null;
  worker: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  delivered_at: number | null;
}

function toJob(row: Row): Job {
  const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
  return {
    id: row.id,
    webhookId: row.webhook_id,
    bodyHash: row.body_hash,
    state: row.state,
    request: JSON.parse(row.request) as Job['request'],
    attempts: row.attempts,
    deliveryAttempts: row.delivery_attempts,
    dueAt: row.due_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    lastError: json(row.last_error),
    deliveryError: json(row.delivery_error),
    result: json(row.result),
    deliveryId: row.delivery_id,
    worker: row.worker,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    deliveredAt: row.delivered_at,
  };
}

function assignments(update: JobUpdate): { sets: string[]; params: SqlValue[] } {
  const sets: string[] = [];
  const params: SqlValue[] = [];
  for (const [key, value] of Object.entries(update) as [keyof JobUpdate, unknown][]) {
    if (value === undefined) continue;
    sets.push(`${COLUMNS[key]} = ?`);
    params.push(JSON_FIELDS.has(key) && value !== null ? JSON.stringify(value) : (value as SqlValue));
  }
  return { sets, params };
}

/** Page cursors: the last job's createdAt and id, base64url (opaque to clients). */
export function encodeCursor(job: Pick<Job, 'createdAt' | 'id'>): string {
  return btoa(`${job.createdAt}:${job.id}`).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } {
  let text = '';
  try {
    text = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
  } catch {
    text = '';
  }
  const match = /^(\d+):(job_[\w-]+)$/.exec(text);
  if (!match) {
    throw new NetlensError('invalid_argument', `cursor '${cursor}' is not one this server handed out`, {
      details: { cursor },
    });
  }
  return { createdAt: Number(match[1]), id: match[2]! };
}
