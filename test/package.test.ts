/**
 * netlens as a package: packs the project as npm publishes it (`npm pack`, whose prepack builds dist/
 * and the page), installs the tarball into a fresh project in a temporary directory with no path to
 * this repository's sources, and there: imports every entry point, classifies a photo through the public
 * Node API and through the packaged CLI (compiled JavaScript, no tsx), mounts the routes in a new Hono
 * app behind the host's own middleware and calls them with app.request(), and type-checks a consumer
 * file with tsc (a wrong call must fail to compile).
 *
 * No network: the tarball is unpacked where npm puts it (node_modules/netlens) and each dependency it
 * DECLARES is linked from this checkout's node_modules (what npm ci installed from the lockfile). Only
 * declared dependencies are linked, so an import of an undeclared package (tsx, any dev dependency)
 * fails here as it would for a user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../src/core/manifest.js';
import { modelFiles } from '../src/core/model-source.js';
import { createClassifier } from '../src/index.js';
import { DEFAULT_MODEL, MODELS_DIR, PHOTOS_DIR, ROOT, ensureDefaultModel } from './server-process.js';

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

const PHOTO = join(PHOTOS_DIR, 'jemma.png');
const ENTRY_POINTS = [
  'netlens',
  'netlens/core',
  'netlens/node',
  'netlens/web',
  'netlens/hono',
  'netlens/convert',
  'netlens/settings',
];

let work: string;
let project: string;
let pack: PackResult;

/** node_modules/<name> → this checkout's copy of that package. */
function link(name: string): void {
  const to = join(project, 'node_modules', name);
  mkdirSync(dirname(to), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', name), to, 'dir');
}

function runNode(
  file: string,
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, [file], {
    cwd: project,
    env: { PATH: process.env.PATH ?? '', HOME: work, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

beforeAll(async () => {
  await ensureDefaultModel();
  work = mkdtempSync(join(tmpdir(), 'netlens-package-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  pack = (JSON.parse(out.slice(out.indexOf('['))) as PackResult[])[0]!;

  project = join(work, 'consumer');
  const installed = join(project, 'node_modules/netlens');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, pack.filename), '-C', installed, '--strip-components=1']);
  const packageJson = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const name of Object.keys(packageJson.dependencies)) link(name);
  link('@types/node'); // the consumer's own dev dependency, for its type check
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: { netlens: pack.filename },
    }),
  );
  // The consumer's models directory: the default model's files, copied (not the repository's folder).
  mkdirSync(join(project, 'models'));
  const manifest = parseManifest(JSON.parse(readFileSync(join(MODELS_DIR, `${DEFAULT_MODEL}.json`), 'utf8')));
  for (const file of [`${DEFAULT_MODEL}.json`, ...modelFiles(manifest)]) {
    copyFileSync(join(MODELS_DIR, file), join(project, 'models', file));
  }
  copyFileSync(PHOTO, join(project, 'photo.png'));
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the compiled library, the CLI and the page, and no tests, fixtures or models', () => {
    const paths = pack.files.map((f) => f.path);
    console.log(
      `npm pack: ${pack.filename} ${(pack.size / 1024).toFixed(0)} KiB packed, ` +
        `${(pack.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${pack.entryCount} files`,
    );
    for (const required of [
      'bin/netlens.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/runtime/node/engine-worker.mjs',
      'dist/runtime/node/engine-worker.js',
      'public/build/index.html',
      'models/labels/imagenet_class_index.json',
      'CHANGELOG.md',
    ]) {
      expect(paths).toContain(required);
    }
    const unwanted = paths.filter((p) =>
      /(^|\/)(test|tests|fixtures|node_modules)\/|\.test\.|\.onnx$|\.h5$|\.keras$|^src\/|\.tsbuildinfo$/.test(
        p,
      ),
    );
    expect(unwanted).toEqual([]);
    expect(pack.unpackedSize).toBeLessThan(16 * 1024 * 1024);
  });

  it('imports every entry point from the installed tarball', () => {
    const script = join(project, 'entries.mjs');
    writeFileSync(
      script,
      `const out = {};\nfor (const name of ${JSON.stringify(ENTRY_POINTS)}) out[name] = Object.keys(await import(name)).sort();\nconsole.log(JSON.stringify(out));\n`,
    );
    const run = runNode(script);
    expect(run.stderr).not.toMatch(/Error/);
    const entries = JSON.parse(run.stdout) as Record<string, string[]>;
    expect(entries['netlens']).toEqual(expect.arrayContaining(['createClassifier', 'NetlensError']));
    expect(entries['netlens/core']).toEqual(
      expect.arrayContaining(['parseManifest', 'classify', 'preprocess']),
    );
    expect(entries['netlens/node']).toEqual(expect.arrayContaining(['createNodeRuntime', 'createNodeApp']));
    expect(entries['netlens/web']).toEqual(
      expect.arrayContaining(['createEdgeRuntime', 'createBrowserRuntime']),
    );
    expect(entries['netlens/hono']).toEqual(expect.arrayContaining(['createApp', 'ModelRegistry']));
    expect(entries['netlens/convert']).toEqual(
      expect.arrayContaining(['convertModelFile', 'verifyAgainstTfjs']),
    );
    expect(entries['netlens/settings']).toEqual(expect.arrayContaining(['readSettings', 'SETTINGS']));
  });

  it('classifies a photo through the public Node API with the numbers of the sources', async () => {
    const script = join(project, 'classify.mjs');
    writeFileSync(
      script,
      [
        "import { createClassifier } from 'netlens';",
        "const classifier = await createClassifier({ modelsDir: 'models' });",
        "const top = await classifier.classify('photo.png', { top: 5 });",
        'await classifier.close();',
        'console.log(JSON.stringify({ engine: classifier.engine, top }));',
      ].join('\n'),
    );
    const run = runNode(script);
    expect(run.code, run.stderr).toBe(0);
    const packaged = JSON.parse(run.stdout) as { engine: string; top: { label: string; score: number }[] };

    const source = await createClassifier({
      modelsDir: MODELS_DIR,
      model: DEFAULT_MODEL,
      engineWorker: false,
    });
    const expected = await source.classify(PHOTO, { top: 5 });
    await source.close();
    expect(packaged.engine).toMatch(/onnxruntime-node/);
    expect(packaged.top.map((p) => p.label)).toEqual(expected.map((p) => p.label));
    for (const [i, p] of packaged.top.entries()) expect(p.score).toBeCloseTo(expected[i]!.score, 6);
    expect(packaged.top[0]).toMatchObject({ label: 'Neutral' });
    expect(packaged.top[0]!.score).toBeCloseTo(0.7941, 3); // the tutorial's published prediction
  });

  it('runs the packaged CLI from compiled JavaScript (tsx is not installed here)', () => {
    const bin = join(project, 'node_modules/netlens/bin/netlens.js');
    const env = { NETLENS_MODELS_DIR: join(project, 'models') };
    const run = spawnSync(process.execPath, [bin, 'classify', 'photo.png', '--json'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', HOME: work, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/"label":\s*"Neutral"/);
    const tsx = spawnSync(
      process.execPath,
      ['-e', "import('tsx').then(() => console.log('found'), () => console.log('missing'))"],
      {
        cwd: project,
        encoding: 'utf8',
      },
    );
    expect(tsx.stdout.trim()).toBe('missing');
  });

  it("mounts the routes in the host's own Hono app, behind the host's middleware", () => {
    const script = join(project, 'mount.mjs');
    writeFileSync(
      script,
      [
        "import { readFile } from 'node:fs/promises';",
        "import { Hono } from 'hono';",
        "import { createNodeApp, readNodeSettings } from 'netlens/node';",
        "const { settings } = readNodeSettings({ NETLENS_MODELS_DIR: 'models', NETLENS_LOG_LEVEL: 'silent' });",
        'const netlens = await createNodeApp({ settings, assets: false });',
        'const host = new Hono();',
        "host.use('/ml/*', async (c, next) => {",
        "  if (c.req.header('x-team') !== 'vision') return c.json({ error: 'host auth' }, 401);",
        '  await next();',
        "  c.header('x-host-middleware', 'ran');",
        '});',
        "host.route('/ml', netlens.app);",
        "const photo = await readFile('photo.png');",
        "const url = '/ml/v1/models/nsfw-mobilenet-v2/classify';",
        "const denied = await host.request(url, { method: 'POST', body: photo });",
        "const allowed = await host.request(url, { method: 'POST', body: photo, headers: { 'x-team': 'vision', 'content-type': 'image/png' } });",
        "const models = await host.request('/ml/v1/models', { headers: { 'x-team': 'vision' } });",
        'console.log(JSON.stringify({',
        '  denied: denied.status,',
        '  allowed: allowed.status,',
        "  hostHeader: allowed.headers.get('x-host-middleware'),",
        '  result: await allowed.json(),',
        '  models: await models.json(),',
        '}));',
        'await netlens.close();',
      ].join('\n'),
    );
    const run = runNode(script);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      denied: number;
      allowed: number;
      hostHeader: string | null;
      result: { results: { predictions: { label: string; score: number }[] }[] };
      models: { models: { name: string }[] };
    };
    expect(out.denied).toBe(401);
    expect(out.allowed).toBe(200);
    expect(out.hostHeader).toBe('ran');
    expect(out.result.results[0]!.predictions[0]).toMatchObject({ label: 'Neutral' });
    expect(out.models.models.map((m) => m.name)).toContain(DEFAULT_MODEL);
  });

  it('type-checks a consumer against the published types, and a wrong call fails to compile', () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        include: ['consumer.ts'],
      }),
    );
    const good = [
      "import { createClassifier, type Classifier, type Prediction } from 'netlens';",
      "import { parseManifest, type Manifest } from 'netlens/core';",
      "import { createNodeApp, readNodeSettings } from 'netlens/node';",
      "import type { NetlensApp } from 'netlens/hono';",
      "import type { ConvertFileOptions } from 'netlens/convert';",
      "const classifier: Classifier = await createClassifier({ modelsDir: 'models', threads: 2 });",
      'const top: Prediction[] = await classifier.classify(new Uint8Array(8), { top: 3 });',
      'const manifest: Manifest = parseManifest(classifier.manifest);',
      'const { settings } = readNodeSettings({});',
      'const app: NetlensApp = (await createNodeApp({ settings, assets: false })).app;',
      'const options: Partial<ConvertFileOptions> = {};',
      'export { top, manifest, app, options };',
    ];
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const compile = (lines: string[]) => {
      writeFileSync(join(project, 'consumer.ts'), lines.join('\n') + '\n');
      return spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8' });
    };
    const ok = compile(good);
    expect(ok.stdout + ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const bad = compile([...good, "await classifier.classify(42, { top: 'five' });"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/consumer\.ts\(13,\d+\): error TS2345/);
  });
});
