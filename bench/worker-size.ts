/**
 * bench/worker-size.ts — the Worker's upload size with and without the zod-locales alias of
 * functions/worker/wrangler.jsonc, built from the same sources with `wrangler deploy --dry-run`
 * (offline). Prints wrangler's total and each module raw / gzip -9. Run: `npx tsx bench/worker-size.ts`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mib } from '../src/core/units.js';
import { runWrangler, temporaryWranglerConfig } from '../functions/worker/scripts/offline-env.js';

async function build(withAlias: boolean): Promise<{ report: string; script: number; scriptGzip: number }> {
  const assets = await mkdtemp(join(tmpdir(), 'netlens-size-assets-'));
  const out = await mkdtemp(join(tmpdir(), 'netlens-size-out-'));
  const { dir, config } = temporaryWranglerConfig(assets);
  try {
    const json = JSON.parse(await readFile(config, 'utf8')) as { alias?: unknown };
    if (!withAlias) delete json.alias;
    await writeFile(config, JSON.stringify(json));
    const result = await runWrangler(['deploy', '--dry-run', '--outdir', out, '-c', config, '--env=']);
    if (result.code !== 0) throw new Error(result.output);
    const script = await readFile(join(out, 'index.js'));
    return {
      report: /Total Upload:[^\n]*/.exec(result.output)?.[0] ?? '?',
      script: script.length,
      scriptGzip: gzipSync(script, { level: 9 }).length,
    };
  } finally {
    await Promise.all([assets, out, dir].map((d) => rm(d, { recursive: true, force: true })));
  }
}

const rows: string[] = [];
for (const withAlias of [false, true]) {
  const b = await build(withAlias);
  rows.push(
    `| ${withAlias ? 'with the alias (zod locales out)' : 'without the alias'} | ${b.report.replace('Total Upload: ', '')} | ${mib(b.script)} (${b.script} B) | ${(b.scriptGzip / 1024).toFixed(1)} KiB (${b.scriptGzip} B) |`,
  );
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('| Worker build | wrangler total upload (raw / gzip) | index.js raw | index.js gzip -9 |');
console.log('| --- | --- | ---: | ---: |');
for (const row of rows) console.log(row);
