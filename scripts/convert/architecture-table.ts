/**
 * Prints docs/converter.md's table of built-in architectures from the verification results the
 * architecture tests write (test/.cache/architecture-results/*.json): one row per architecture and
 * tested form, with the largest max |Δ| seen. "in CI": every size smaller than the architecture's own runs
 * in CI (test/architectures-families.test.ts), and its full size only where no smaller one was tested;
 * the other full-size rows come from NETLENS_FULL_ARCHITECTURES=1.
 *
 *   npx vitest run test/architectures.test.ts test/architectures-families.test.ts
 *   npx tsx scripts/convert/architecture-table.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ARCHITECTURE_FACTS,
  ARCHITECTURE_NAMES,
  type ArchitectureName,
} from '../../src/convert/architectures/options.js';

const RESULTS = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../test/.cache/architecture-results',
);

const FULL_FLAG = 'NETLENS_FULL_ARCHITECTURES=1';

interface Result {
  arch: ArchitectureName;
  parameters: number;
  includeTop: boolean;
  pooling: string;
  input: [number, number, number];
  variant?: string;
  maxAbsDiff: number;
  top5Agreement: number;
  samples: number;
  seconds: number;
}

const results = readdirSync(RESULTS)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(RESULTS, f), 'utf8')) as Result);
const rows = [
  '| architecture | Keras | parameters | form | input tested | max \\|Δ\\| | top-5 identical | in CI |',
  '| --- | --- | ---: | --- | --- | ---: | --- | --- |',
];
for (const arch of ARCHITECTURE_NAMES) {
  const mine = results.filter((r) => r.arch === arch).sort((a, b) => b.input[0] - a.input[0]);
  const facts = ARCHITECTURE_FACTS[arch];
  if (mine.length === 0) {
    rows.push(`| ${arch} | ${facts.keras} | | not run | | | | |`);
    continue;
  }
  const smaller = (r: Result): boolean =>
    mine.some((o) => o.includeTop === r.includeTop && o.input[0] < facts.defaultSize);
  for (const r of mine) {
    const full = r.input[0] === facts.defaultSize;
    // EfficientNetB5–B7 run only with the flag (OPT_IN in test/architectures-families.test.ts).
    const optIn = /^efficientnet_b[567]$/.test(arch);
    const ci = optIn
      ? full
        ? `opt-in (${FULL_FLAG})`
        : 'no'
      : !full || !smaller(r)
        ? 'yes'
        : `opt-in (${FULL_FLAG})`;
    const form = `${r.includeTop ? 'top' : `notop, ${r.pooling}`}${r.variant ? ` (${r.variant})` : ''}`;
    const size = `${r.input[0]}×${r.input[1]}${r.input[0] === facts.defaultSize ? ' (full)' : ''}`;
    const top5 =
      r.top5Agreement === 1
        ? `yes (${r.samples}/${r.samples})`
        : `no (${r.top5Agreement * r.samples}/${r.samples})`;
    rows.push(
      `| ${arch} | ${facts.keras} | ${r.parameters.toLocaleString('en')} | ${form} | ${size} | ${r.maxAbsDiff.toExponential(1)} | ${top5} | ${ci} |`,
    );
  }
}
console.log(rows.join('\n'));
