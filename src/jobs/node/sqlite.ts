import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { type SqlDatabase, SqlJobStore, type SqlValue } from '../sql-store.js';

/**
 * The default job store: one SQLite file (better-sqlite3 12, WAL mode, synchronous=FULL so an accepted
 * job survives a crash of the process or the host). Several processes on one host may share the file.
 */
export function openSqliteStore(file: string): SqlJobStore {
  const path = resolve(file);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, Database.Statement>();
  const adapter: SqlDatabase = {
    async query<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      if (statement.reader) return statement.all(...params) as T[];
      statement.run(...params);
      return [];
    },
    async close() {
      db.close();
    },
  };
  return new SqlJobStore(adapter, `sqlite:${file}`);
}
