import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// src/core runs unchanged in Node, Workers and browsers: it may not import a runtime.
const CORE = join(import.meta.dirname, '..', 'src', 'core');
const FORBIDDEN = [/^node:/, /^sharp$/, /^onnxruntime-/, /^hono(\/|$)/, /^@hono\//, /^fs$/, /^path$/, /^os$/];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** Value imports only: `import type` and `export type` are erased and harmless. */
function valueImports(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(pattern)) specifiers.push(match[1] ?? '');
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1] ?? '');
  return specifiers;
}

describe('src/core purity', () => {
  const files = sourceFiles(CORE);

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(3);
  });

  it.each(files.map((f) => [relative(CORE, f), f]))('%s imports no runtime', (_name, file) => {
    const source = readFileSync(file, 'utf8');
    const bad = valueImports(source).filter((s) => FORBIDDEN.some((re) => re.test(s)));
    expect(bad).toEqual([]);
    // Runtime globals are injected, never reached for.
    expect(source).not.toMatch(/\b(process\.|Buffer\.|require\()/);
  });

  it('the import scanner catches what it should', () => {
    expect(valueImports("import sharp from 'sharp';\nimport type { X } from 'onnxruntime-node';")).toEqual([
      'sharp',
    ]);
    expect(valueImports("const m = await import('node:fs');")).toEqual(['node:fs']);
  });
});
