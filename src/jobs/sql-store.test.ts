import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeJobStore } from '../../test/support/job-store-contract.js';
import { openSqliteStore } from './node/sqlite.js';

describeJobStore('SQLite (better-sqlite3, WAL)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'netlens-store-'));
  const store = openSqliteStore(join(dir, 'deep', 'jobs.sqlite'));
  return {
    store,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
