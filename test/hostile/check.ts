/**
 * The invariants every hostile answer keeps, and the tally the suite prints: no 5xx but a 503 with
 * Retry-After; every error an application/problem+json document whose `type` is in docs/api.md's error
 * table with the answered status; no answer slower than the request deadline plus a margin.
 */
import type { Outcome } from './client.js';
import type { HostileCase } from './cases.js';
import { documentedTypes } from './error-table.js';

const DOCUMENTED = documentedTypes();

/** What is wrong with one answer (empty when nothing is). */
export function violations(c: HostileCase, outcome: Outcome, latestMs: number): string[] {
  const found: string[] = [];
  if (c.abortAfterMs !== undefined) return found; // the client left: nothing to read
  if (outcome.status === undefined) return [`no answer: ${outcome.error ?? 'unknown'}`];
  const { status, headers } = outcome;
  if (outcome.ms > latestMs) found.push(`answered after ${Math.round(outcome.ms)} ms (limit ${latestMs} ms)`);
  // 5xx only as a documented 503 — or a 504 where the case says so (a body slower than the deadline).
  if (status >= 500 && status !== 503 && !c.statuses?.includes(status)) found.push(`answered ${status}`);
  if (status === 503 && !/^\d+$/.test(headers['retry-after'] ?? '')) found.push('503 without a Retry-After');
  if (c.statuses && !c.statuses.includes(status))
    found.push(`answered ${status}, expected one of ${c.statuses.join(', ')}`);
  if (status >= 400) found.push(...problemViolations(outcome, status, c.method === 'HEAD'));
  const extra = c.check?.(outcome);
  if (extra !== undefined) found.push(extra);
  return found;
}

function problemViolations(outcome: Outcome, status: number, head: boolean): string[] {
  const type = outcome.headers['content-type'] ?? '';
  if (!type.startsWith('application/problem+json'))
    return [
      `error ${status} as '${type || 'no content-type'}', not application/problem+json: ${JSON.stringify(outcome.body.subarray(0, 120).toString('utf8'))}`,
    ];
  if (head) return []; // no body to read
  let problem: { type?: unknown; status?: unknown };
  try {
    problem = JSON.parse(outcome.body.toString('utf8')) as typeof problem;
  } catch {
    return [`error ${status}: the problem document is not JSON`];
  }
  if (typeof problem.type !== 'string') return [`error ${status}: the problem has no type`];
  const documented = DOCUMENTED.get(problem.type);
  if (documented === undefined)
    return [`problem type ${problem.type} (${status}) is not in docs/api.md's error table`];
  const found: string[] = [];
  if (documented !== status)
    found.push(`problem type ${problem.type} answered ${status}; docs/api.md says ${documented}`);
  if (problem.status !== status)
    found.push(`problem status member ${String(problem.status)} ≠ HTTP ${status}`);
  return found;
}

export class Tally {
  requests = 0;
  readonly statuses = new Map<string, number>();
  worstMs = 0;
  worstName = '';
  readonly failures: string[] = [];
  /** When each case was in flight (performance.now()), to name the cases behind a slow /healthz. */
  readonly windows: { name: string; from: number; to: number }[] = [];

  record(c: HostileCase, outcome: Outcome, latestMs: number): string[] {
    this.requests++;
    const to = performance.now();
    this.windows.push({ name: c.name, from: to - outcome.ms, to });
    const key =
      outcome.status === undefined
        ? c.abortAfterMs !== undefined
          ? 'client-abort'
          : 'no-answer'
        : String(outcome.status);
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    if (c.abortAfterMs === undefined && outcome.ms > this.worstMs) {
      this.worstMs = outcome.ms;
      this.worstName = c.name;
    }
    const found = violations(c, outcome, latestMs);
    for (const v of found) this.failures.push(`${c.name}: ${v}${c.finding ? ` — ${c.finding}` : ''}`);
    return found;
  }

  /** The cases in flight during [from, to]. */
  inFlight(from: number, to: number): string[] {
    return this.windows.filter((w) => w.from <= to && w.to >= from).map((w) => w.name);
  }

  histogram(): string {
    return [...this.statuses.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
  }
}
