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

  it('admits by declared bytes within the capacity, in arrival order', async () => {
    const gate = new Gate(10, 100);
    const a = await gate.acquire(undefined, 60);
    const order: string[] = [];
    // b does not fit beside a; c would, but waits behind b (no overtaking, so b cannot starve).
    const b = gate.acquire(undefined, 50).then((release) => (order.push('b'), release));
    const c = gate.acquire(undefined, 10).then((release) => (order.push('c'), release));
    await Promise.resolve();
    expect([gate.inUse, gate.bytesInUse, gate.queued, order]).toEqual([1, 60, 2, []]);
    a();
    const [rb, rc] = await Promise.all([b, c]);
    expect(order).toEqual(['b', 'c']);
    expect([gate.inUse, gate.bytesInUse]).toEqual([2, 60]);
    rb();
    rc();
    expect([gate.inUse, gate.bytesInUse, gate.queued]).toEqual([0, 0, 0]);
  });

  it('lets those behind an aborted head in when they fit', async () => {
    const gate = new Gate(10, 100);
    const a = await gate.acquire(undefined, 80);
    const controller = new AbortController();
    const big = gate.acquire(controller.signal, 90);
    const small = gate.acquire(undefined, 20);
    controller.abort(new Error('gone'));
    await expect(big).rejects.toThrow('gone');
    (await small)();
    a();
    expect(gate.bytesInUse).toBe(0);
  });

  it('refuses a declaration larger than the whole capacity (the caller answers it)', async () => {
    await expect(new Gate(1, 10).acquire(undefined, 11)).rejects.toThrow(RangeError);
  });
});
