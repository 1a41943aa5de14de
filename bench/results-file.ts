/**
 * bench/RESULTS.md is shared by the benches: each owns blocks between `<!-- netlens-bench:KEY:start -->`
 * and `<!-- netlens-bench:KEY:end -->`; re-running a bench with --record replaces only its blocks.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BENCH_DIR = resolve(import.meta.dirname);
export const RESULTS = join(BENCH_DIR, 'RESULTS.md');

/**
 * Replaces block `key` with `body` (or appends it under `heading`, which is added with `intro` when the
 * file does not have it yet), then formats the file as `npm run lint` wants it.
 */
export async function recordSection(
  key: string,
  body: string,
  placement: { heading: string; intro: string },
): Promise<void> {
  const start = `<!-- netlens-bench:${key}:start -->`;
  const end = `<!-- netlens-bench:${key}:end -->`;
  const block = `${start}\n\n${body.trim()}\n\n${end}`;
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) {
    text = text.slice(0, i) + block + text.slice(j + end.length);
  } else {
    if (!text.includes(placement.heading))
      text = `${text.trimEnd()}\n\n${placement.heading}\n\n${placement.intro}\n`;
    const cut = sectionEnd(text, text.indexOf(placement.heading) + placement.heading.length);
    const rest = text.slice(cut);
    text = `${text.slice(0, cut).trimEnd()}\n\n${block}\n${rest ? `\n${rest}` : ''}`;
  }
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(RESULTS)) ?? {};
  writeFileSync(RESULTS, await prettier.format(text, { ...options, filepath: RESULTS }));
}

/**
 * Where the section that starts before `from` ends: at the next `## ` heading — or at the start marker of
 * the block that heading opens (a bench block may begin with its own heading), so a new block never lands
 * inside another bench's block.
 */
export function sectionEnd(text: string, from: number): number {
  const next = text.indexOf('\n## ', from);
  if (next < 0) return text.length;
  const before = text.slice(0, next).trimEnd();
  const marker = before.lastIndexOf('\n<!-- netlens-bench:');
  if (marker >= from && /^<!-- netlens-bench:[^\n]*:start -->$/.test(before.slice(marker + 1)))
    return marker + 1;
  return next + 1;
}
