import { describe, expect, it } from 'vitest';
import { Gate } from './gate.js';

describe('Gate', () => {
  it('lets `limit` holders in and the rest in arrival order', async () => {
    const gate = new Gate(2);
    const order: number[] = [];
    const releases = await Promise.all([gate.acquire(), gate.acquire()]);
    const waiting = [3, 4, 5].map((n) => gate.acquire().then((release) => (order.push(n), release)));
    expect([gate.inUse, gate.queued]).toEqual([2, 3]);
    releases[1]!();
    releases[1]!(); // releasing twice is harmless
    const r3 = await waiting[0]!;
    releases[0]!();
    const r4 = await waiting[1]!;
    r3();
    const r5 = await waiting[2]!;
    expect(order).toEqual([3, 4, 5]);
    r4();
    r5();
    expect([gate.inUse, gate.queued]).toEqual([0, 0]);
  });

  it('drops a waiter whose signal aborts', async () => {
    const gate = new Gate(1);
    const release = await gate.acquire();
    const controller = new AbortController();
    const gone = gate.acquire(controller.signal);
    const next = gate.acquire();
    controller.abort(new Error('client left'));
    await expect(gone).rejects.toThrow('client left');
    expect(gate.queued).toBe(1);
    release();
    (await next)();
    expect(gate.inUse).toBe(0);
    await expect(gate.acquire(controller.signal)).rejects.toThrow('client left');
  });
});
