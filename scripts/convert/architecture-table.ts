/**
 * Prints docs/converter.md's table of built-in architectures from the verification results the
 * architecture tests write (test/.cache/architecture-results/*.json): one row per architecture and
 * tested form, with the largest max |Δ| seen.
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
  '| architecture | Keras | parameters | form | input tested | max \\|Δ\\| | top-5 identical |',
  '| --- | --- | ---: | --- | --- | ---: | --- |',
];
for (const arch of ARCHITECTURE_NAMES) {
  const mine = results.filter((r) => r.arch === arch).sort((a, b) => b.input[0] - a.input[0]);
  const facts = ARCHITECTURE_FACTS[arch];
  if (mine.length === 0) {
    rows.push(`| ${arch} | ${facts.keras} | | not run | | | |`);
    continue;
  }
  for (const r of mine) {
    const form = `${r.includeTop ? 'top' : `notop, ${r.pooling}`}${r.variant ? ` (${r.variant})` : ''}`;
    const size = `${r.input[0]}×${r.input[1]}${r.input[0] === facts.defaultSize ? ' (full)' : ''}`;
    const top5 =
      r.top5Agreement === 1
        ? `yes (${r.samples}/${r.samples})`
        : `no (${r.top5Agreement * r.samples}/${r.samples})`;
    rows.push(
      `| ${arch} | ${facts.keras} | ${r.parameters.toLocaleString('en')} | ${form} | ${size} | ${r.maxAbsDiff.toExponential(1)} | ${top5} |`,
    );
  }
}
console.log(rows.join('\n'));
