/**
 * docs/api.md's error table matches the code: every error code (src/core/errors.ts, which job errors
 * and src/app/errors.ts's mapping of Hono's exceptions also draw from) has a row with its problem
 * `type` and status, every row names a code of that status, and GET /problems/{type} serves each.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../src/core/errors.js';
import { codeOfProblemSlug, describeProblem, problemType } from '../src/app/problem.js';
import { readErrorTable } from './hostile/error-table.js';

const table = readErrorTable();
const codes = Object.keys(ERROR_CODES) as ErrorCode[];

describe("docs/api.md's error table", () => {
  it('has one row per problem type', () => {
    const types = table.map((row) => row.type);
    expect(types.filter((type, i) => types.indexOf(type) !== i)).toEqual([]);
    expect(table.length).toBeGreaterThanOrEqual(10);
  });

  it('documents every error code of the code with its status', () => {
    const documented = new Map(table.map((row) => [row.type, row.status]));
    const missing = codes
      .filter((code) => documented.get(problemType(code)) !== ERROR_CODES[code])
      .map(
        (code) =>
          `${problemType(code)}: code says ${ERROR_CODES[code]}, docs/api.md says ${documented.get(problemType(code)) ?? 'nothing'}`,
      );
    expect(missing, 'error codes missing from docs/api.md (or with another status)').toEqual([]);
  });

  it('has only rows that the code produces, with the same status', () => {
    const unknown = table
      .filter((row) => {
        const code = codeOfProblemSlug(row.type.slice('/problems/'.length));
        return code === undefined || ERROR_CODES[code] !== row.status;
      })
      .map((row) => `${row.status} ${row.type}`);
    expect(unknown, 'docs/api.md rows with no error code of that status').toEqual([]);
  });

  it('matches what GET /problems/{type} describes', () => {
    for (const row of table) {
      const code = codeOfProblemSlug(row.type.slice('/problems/'.length))!;
      expect(describeProblem(code), row.type).toMatchObject({ type: row.type, status: row.status });
    }
  });
});
