/**
 * docs/api.md's error table (`| status | type | when |`), read from the document itself: the hostile
 * suite checks every answered problem `type` against it and test/api-errors.test.ts compares it with
 * the code's error codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ErrorTableRow {
  status: number;
  /** The problem `type`, e.g. `/problems/unknown-model`. */
  type: string;
  when: string;
}

const API_DOC = join(import.meta.dirname, '../../docs/api.md');

/** The rows of the one table whose header is `| status | type | when |`; throws when there is none. */
export function readErrorTable(path = API_DOC): ErrorTableRow[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = lines.findIndex((line) => /^\|\s*status\s*\|\s*type\s*\|\s*when\s*\|\s*$/.test(line));
  if (header < 0) throw new Error(`${path} has no "| status | type | when |" error table`);
  const rows: ErrorTableRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    const [status, type, when] = cells;
    if (cells.length !== 3 || !/^\d{3}$/.test(status!) || !/^`\/problems\/[a-z0-9-]+`$/.test(type!))
      throw new Error(`${path}: error table row not understood: ${line}`);
    rows.push({ status: Number(status), type: type!.slice(1, -1), when: when! });
  }
  return rows;
}

/** type → status of the documented problems. */
export function documentedTypes(path = API_DOC): Map<string, number> {
  return new Map(readErrorTable(path).map((row) => [row.type, row.status]));
}
