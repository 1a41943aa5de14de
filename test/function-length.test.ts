/**
 * docs/architecture.md's rule: functions in src/core and src/app stay short (≤ 80 lines), so each
 * does one job a reader can hold in mind. Route groups define their routes in separate functions.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const LIMIT = 80;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every function-like node with its name and length in lines. */
function functionsOf(file: string): { name: string; lines: number }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: { name: string; lines: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const named = (node as { name?: ts.Node }).name;
      const parent = node.parent;
      const name =
        named?.getText() ??
        (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)
          ? parent.name.getText()
          : '(anonymous)');
      found.push({ name, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('function length in src/core and src/app', () => {
  it(`has no function over ${LIMIT} lines`, () => {
    const files = [...sources(join(ROOT, 'src/core')), ...sources(join(ROOT, 'src/app'))];
    expect(files.length).toBeGreaterThan(30);
    const long = files.flatMap((file) =>
      functionsOf(file)
        .filter((f) => f.lines > LIMIT)
        .map((f) => `${relative(ROOT, file)}: ${f.name} (${f.lines} lines)`),
    );
    expect(long).toEqual([]);
  });
});
