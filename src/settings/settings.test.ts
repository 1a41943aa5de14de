import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetlensError } from '../core/errors.js';
import { DEFAULT_THREAD_OLD_SPACE_MIB, SETTINGS, readSettings, settingsTable } from './settings.js';

const node = { runtime: 'node', cores: 4 } as const;
const edge = { runtime: 'edge', cores: 1 } as const;

function errorOf(fn: () => unknown): NetlensError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NetlensError);
    return error as NetlensError;
  }
  throw new Error('expected an error');
}

describe('readSettings', () => {
  it('gives every setting its default, per runtime and core count', () => {
    const { settings, given, warnings } = readSettings({}, node);
    expect(given.size).toBe(0);
    expect(warnings).toEqual([]);
    expect(settings).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      modelsDir: undefined,
      defaultModel: 'nsfw-mobilenet-v2',
      providers: ['cpu'],
      requireGpu: false,
      engineWorker: true,
      sessions: 2, // side by side, (4 cores − 1) ÷ 2 intra-op threads each, rounded
      concurrency: 4,
      threads: 2,
      maxBatch: 1,
      maxDelayMs: 0,
      maxPixels: 40_000_000,
      maxDecoding: 4,
      memoryBudgetMiB: 2048,
      decodeBudgetMiB: 1024,
      rateLimit: { perMinute: 600, burst: 60 },
    });
    expect(readSettings({}, edge).settings).toMatchObject({
      providers: ['wasm'],
      models: ['nsfw-mobilenet-v2'],
      maxBatch: 1,
      concurrency: 1,
      maxPixels: 6_000_000,
      maxBodyBytes: 16 * 1024 * 1024,
      memoryBudgetMiB: 100,
    });
  });

  it('derives defaults from other settings: GPU providers batch, no worker thread splits the cores', () => {
    expect(readSettings({ NETLENS_PROVIDERS: 'cuda,cpu' }, node).settings).toMatchObject({
      maxBatch: 16,
      maxDelayMs: 2,
    });
    expect(readSettings({ NETLENS_REQUIRE_GPU: 'yes' }, node).settings).toMatchObject({
      maxBatch: 16,
      sessions: 1, // one device
    });
    expect(readSettings({ NETLENS_ENGINE_WORKER: 'off' }, node).settings.sessions).toBe(1);
    expect(readSettings({}, { runtime: 'node', cores: 2 }).settings).toMatchObject({
      sessions: 2,
      threads: 1,
      concurrency: 4,
    });
    expect(
      readSettings({ NETLENS_ENGINE_WORKER: 'off', NETLENS_CONCURRENCY: '2' }, node).settings.threads,
    ).toBe(2);
    // An explicit value always wins over a derived default.
    expect(readSettings({ NETLENS_PROVIDERS: 'cuda', NETLENS_MAX_BATCH: '4' }, node).settings.maxBatch).toBe(
      4,
    );
    // The Worker's default model is the first it serves.
    expect(readSettings({ NETLENS_MODELS: 'b, a' }, edge).settings.defaultModel).toBe('b');
    expect(readSettings({ NETLENS_MODEL: 'c' }, edge).settings.models).toEqual(['c']);
  });

  it('parses each kind with one rule, trimming and ignoring empty values', () => {
    const { settings, given } = readSettings(
      {
        PORT: ' 0 ',
        NETLENS_PROVIDERS: ' CUDA , webgpu ,, cpu ',
        NETLENS_REQUIRE_GPU: 'TRUE',
        NETLENS_MAX_DELAY_MS: '1.5',
        NETLENS_CORS_ORIGINS: 'https://a.example, https://b.example',
        NETLENS_API_KEYS: 'ci:secret, sha256:' + 'a'.repeat(64) + ', ops:sha256:' + 'b'.repeat(64),
        NETLENS_RATE_LIMIT: '120',
        NETLENS_LOG_LEVEL: 'WARN',
        NETLENS_TIMEOUT_MS: '',
      },
      node,
    );
    expect(settings).toMatchObject({
      port: 0,
      providers: ['cuda', 'webgpu', 'cpu'],
      requireGpu: true,
      maxDelayMs: 1.5,
      corsOrigins: ['https://a.example', 'https://b.example'],
      apiKeys: [
        { name: 'ci', key: 'secret' },
        { name: 'key2', sha256: 'a'.repeat(64) },
        { name: 'ops', sha256: 'b'.repeat(64) },
      ],
      rateLimit: { perMinute: 120, burst: 12 },
      logLevel: 'warn',
      timeoutMs: 30_000,
    });
    expect(given.has('timeoutMs')).toBe(false);
    expect(given.has('port')).toBe(true);
  });

  it.each([
    ['PORT', '80a', /PORT must be an integer from 0 to 65535; got '80a'/],
    ['PORT', '70000', /from 0 to 65535/],
    ['NETLENS_MAX_BATCH', '0', /NETLENS_MAX_BATCH must be an integer ≥ 1; got '0'/],
    ['NETLENS_MAX_BATCH', '2.5', /an integer/],
    ['NETLENS_MAX_DELAY_MS', '-1', /NETLENS_MAX_DELAY_MS must be a number ≥ 0/],
    ['NETLENS_MEMORY_BUDGET_MIB', '0', /NETLENS_MEMORY_BUDGET_MIB must be a number > 0/],
    ['NETLENS_REQUIRE_GPU', 'sure', /one of 1, true, yes, on, 0, false, no, off; got 'sure'/],
    ['NETLENS_LOG_LEVEL', 'loud', /one of debug, info, warn, error, silent; got 'loud'/],
    ['NETLENS_MODEL', 'My Model', /lowercase letters/],
    ['NETLENS_PROVIDERS', ' , ', /at least one/],
    ['NETLENS_RATE_LIMIT', 'fast', /like '600' or '600\/60'/],
    ['NETLENS_API_KEYS', 'sha256:zz', /64 lowercase hex digits/],
    ['NETLENS_MODEL_STORE', 's3', /NETLENS_MODEL_STORE must be one of assets, r2; got 's3'/],
    ['NETLENS_WEBHOOK_SECRETS', 'hunter2', /whsec_ followed by the base64 of at least 16 random bytes/],
    ['NETLENS_WEBHOOK_SECRETS', 'whsec_c2hvcnQ=', /at least 16 random bytes/],
    ['NETLENS_FETCH_ALLOW', '10.0.0.0/33', /an IP address or CIDR block/],
    ['NETLENS_FETCH_ALLOW', 'localhost', /an IP address or CIDR block/],
    ['NETLENS_QUEUE', 'mysql://db', /sqlite:<file> .* or redis:\/\/host:port/],
    ['NETLENS_JOB_RETENTION_HOURS', '0.1', /a number ≥ 0.25/],
    ['NETLENS_R2_CALLBACK_URL', 'ftp://x', /an absolute http:\/\/ or https:\/\/ URL/],
  ])('%s=%j is an invalid_argument naming the variable and the valid values', (name, value, message) => {
    const error = errorOf(() => readSettings({ [name]: value }, node));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(message);
    expect(error.details.variable).toMatch(new RegExp(`^${name}`));
  });

  it('reads the webhook job settings: secrets, allow-list as canonical CIDRs, queue location', () => {
    const secret = 'whsec_' + btoa('0123456789abcdef0123');
    const { settings } = readSettings(
      {
        NETLENS_WEBHOOK_SECRETS: `${secret}, ${secret}`,
        NETLENS_FETCH_ALLOW: '127.0.0.1, 10.0.0.0/8, ::1',
        NETLENS_QUEUE: 'redis://127.0.0.1:6390/0?prefix=a',
        NETLENS_MAX_BODY_BYTES: '1000',
      },
      node,
    );
    expect(settings).toMatchObject({
      webhookSecrets: [secret, secret],
      fetchAllow: ['127.0.0.1/32', '10.0.0.0/8', '::1/128'],
      queue: 'redis://127.0.0.1:6390/0?prefix=a',
      fetchMaxBytes: 1000,
      jobAttempts: 3,
      callbackAttempts: 8,
      jobConcurrency: 4,
    });
    expect(readSettings({}, edge).settings).toMatchObject({
      webhookSecrets: [],
      queue: undefined,
      jobConcurrency: 1,
    });
  });

  it('accepts the old names with a warning, and warns about unknown NETLENS_ variables', () => {
    const { settings, warnings } = readSettings(
      { NETLENS_MEMORY_BUDGET_MB: '512', NETLENS_MAX_BACH: '4', NETLENS_CONFORMANCE_MODEL: 'x' },
      node,
    );
    expect(settings.memoryBudgetMiB).toBe(512);
    expect(warnings).toEqual([
      'NETLENS_MEMORY_BUDGET_MB is deprecated: use NETLENS_MEMORY_BUDGET_MIB (same meaning)',
      'NETLENS_MAX_BACH is not a netlens setting and is ignored (docs/settings.md lists them)',
    ]);
    // The new name wins when both are set.
    expect(
      readSettings({ NETLENS_MEMORY_BUDGET_MIB: '64', NETLENS_MEMORY_BUDGET_MB: '512' }, node).settings
        .memoryBudgetMiB,
    ).toBe(64);
  });

  it('takes typed overrides (command-line flags) over the environment', () => {
    const { settings, given } = readSettings({ PORT: '9000' }, node, { port: 0, defaultModel: 'x' });
    expect(settings.port).toBe(0);
    expect(settings.defaultModel).toBe('x');
    expect(given.has('defaultModel')).toBe(true);
  });

  it('checks combinations the Worker cannot serve', () => {
    expect(errorOf(() => readSettings({ NETLENS_MODELS: 'a,b', NETLENS_MODEL: 'c' }, edge)).message).toMatch(
      /NETLENS_MODEL 'c' is not one of NETLENS_MODELS \(a, b\)/,
    );
    expect(errorOf(() => readSettings({ NETLENS_MEMORY_BUDGET_MIB: '200' }, edge)).message).toMatch(
      /at most 128 in a Worker/,
    );
  });

  it('derives the decode budget from the memory budget, never below one worst-case image', () => {
    expect(readSettings({}, node).settings.decodeBudgetMiB).toBe(1024);
    expect(readSettings({ NETLENS_MEMORY_BUDGET_MIB: '4096' }, node).settings.decodeBudgetMiB).toBe(2048);
    // 100 MP × 16 bytes (16-bit RGBA, its 8-bit copy, one preprocessing copy) = 1525.9 MiB.
    expect(readSettings({ NETLENS_MAX_PIXELS: '100000000' }, node).settings.decodeBudgetMiB).toBe(1525.9);
    // The Worker: one worst-case image at its 6 MP limit.
    expect(readSettings({}, edge).settings.decodeBudgetMiB).toBe(91.6);
  });

  it('refuses pairs of settings that can never work, naming both variables and values', () => {
    const queue = errorOf(() => readSettings({ NETLENS_MAX_QUEUE: '8', NETLENS_MAX_IMAGES: '16' }, node));
    expect(queue.code).toBe('invalid_argument');
    expect(queue.message).toMatch(
      /^NETLENS_MAX_QUEUE \(8\) must be at least NETLENS_MAX_IMAGES \(16\): .*503 forever/,
    );
    expect(queue.details).toEqual({ NETLENS_MAX_QUEUE: 8, NETLENS_MAX_IMAGES: 16 });
    // The defaults themselves (256 ≥ 64), and equal values, are fine.
    expect(readSettings({ NETLENS_MAX_QUEUE: '16', NETLENS_MAX_IMAGES: '16' }, node).settings.maxQueue).toBe(
      16,
    );

    const budget = errorOf(() =>
      readSettings({ NETLENS_DECODE_BUDGET_MIB: '100', NETLENS_MAX_PIXELS: '40000000' }, node),
    );
    expect(budget.message).toMatch(
      /^NETLENS_DECODE_BUDGET_MIB \(100\) is less than one image at NETLENS_MAX_PIXELS \(40000000\) may need to decode \(610\.4 MiB .*at least 610\.4 or lower NETLENS_MAX_PIXELS to at most 6553600$/,
    );
    expect(
      readSettings({ NETLENS_DECODE_BUDGET_MIB: '100', NETLENS_MAX_PIXELS: '6553600' }, node).settings,
    ).toMatchObject({ decodeBudgetMiB: 100, maxPixels: 6_553_600 });

    const sessions = errorOf(() =>
      readSettings({ NETLENS_SESSIONS: '2', NETLENS_ENGINE_WORKER: 'off' }, node),
    );
    expect(sessions.message).toMatch(/^NETLENS_SESSIONS \(2\) needs NETLENS_ENGINE_WORKER on/);
    expect(readSettings({ NETLENS_SESSIONS: '2' }, node).settings).toMatchObject({
      sessions: 2,
      concurrency: 4, // two calls in flight per session
      threads: 2, // (4 cores − 1) ÷ 2 sessions, rounded
    });
  });

  it('reads strings only (a Worker env also holds bindings)', () => {
    const { settings } = readSettings({ ASSETS: { fetch() {} }, NETLENS_MODELS: 'a' }, edge);
    expect(settings.models).toEqual(['a']);
  });
});

describe('docs/settings.md', () => {
  it('holds the table of every setting exactly as the code defines it', () => {
    // Prettier pads the cells: compare with runs of spaces and dashes collapsed.
    const normalise = (text: string) => text.replace(/ +/g, ' ').replace(/-{3,}/g, '---');
    const doc = normalise(readFileSync(resolve(import.meta.dirname, '../../docs/settings.md'), 'utf8'));
    expect(doc).toContain(normalise(settingsTable()));
    for (const s of Object.values(SETTINGS)) expect(doc).toContain(`\`${s.env}\``);
  });
});

describe('NETLENS_THREAD_OLD_SPACE_MIB', () => {
  it('is the floor the launch commands give the HTTP thread, which only the command line can set', () => {
    const floor = DEFAULT_THREAD_OLD_SPACE_MIB;
    expect(SETTINGS.threadOldSpaceMiB.default).toBe(floor);
    const flag = `--initial-old-space-size=${floor}`;
    const root = resolve(import.meta.dirname, '../..');
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['start']).toContain(`node ${flag} bin/netlens.js start`);
    for (const file of ['Dockerfile', 'deploy/Dockerfile.gpu']) {
      expect(readFileSync(resolve(root, file), 'utf8'), file).toContain(`"${flag}"`);
    }
    // The bench starts its servers with the floor its settings give (mainThreadFloorArgs, unit-tested).
    expect(readFileSync(resolve(root, 'bench/http.ts'), 'utf8')).toContain('...mainThreadFloorArgs(floor),');
  });

  it('takes 0 (V8 decides) and refuses what V8 would not take', () => {
    expect(readSettings({ NETLENS_THREAD_OLD_SPACE_MIB: '0' }, node).settings.threadOldSpaceMiB).toBe(0);
    for (const value of ['64.5', '-1', '4097']) {
      expect(errorOf(() => readSettings({ NETLENS_THREAD_OLD_SPACE_MIB: value }, node)).code).toBe(
        'invalid_argument',
      );
    }
  });
});
