import { describe, expect, it } from 'vitest';
import type { SpeedRewrite } from '../core/manifest.js';
import { chooseRewrites, keeps, type RewriteAttempt, type RewriteModes } from './rewrites.js';

type Fake = RewriteAttempt & { with: boolean };

const attemptOf = (top1: number, float32Nodes: number, accepted = top1 >= 0.99): RewriteAttempt => ({
  accepted,
  validation: { top1, kl: 0, meanAbsDiff: 0 },
  float32Nodes,
});

/** chooseRewrites over one rewrite with `sites` sites; `withIt`/`withoutIt` are the two variants' figures. */
async function choose(modes: RewriteModes, sites: number, withIt: RewriteAttempt, withoutIt: RewriteAttempt) {
  const builds: boolean[] = [];
  const choice = await chooseRewrites<Fake>(
    modes,
    () => sites,
    async (applied: ReadonlySet<SpeedRewrite>) => {
      const on = applied.has('pool-after-conv');
      builds.push(on);
      return { ...(on ? withIt : withoutIt), with: on };
    },
  );
  return { ...choice, builds };
}

describe('chooseRewrites (which speed rewrites an int8 variant keeps)', () => {
  it('keeps a rewrite whose variant reaches the target with no node float32, in one build', async () => {
    const c = await choose({}, 9, attemptOf(0.995, 0), attemptOf(0.999, 0));
    expect(c.builds).toEqual([true]);
    expect(c.chosen.with).toBe(true);
    expect(c.records).toEqual([
      {
        name: 'pool-after-conv',
        mode: 'try',
        sites: 9,
        applied: true,
        validation: { top1: 0.995, kl: 0, meanAbsDiff: 0, reached: true, float32Nodes: 0 },
      },
    ]);
  });

  it('drops a rewrite whose variant needed more float32 nodes than the one without it', async () => {
    const c = await choose({}, 9, attemptOf(0.991, 3), attemptOf(0.992, 1));
    expect(c.builds).toEqual([true, false]);
    expect(c.chosen.with).toBe(false);
    expect(c.records[0]).toMatchObject({ applied: false, validation: { reached: true, float32Nodes: 3 } });
  });

  it('keeps it when the fallback paid no more for it, and when only its variant reaches the target', async () => {
    expect((await choose({}, 9, attemptOf(0.991, 1), attemptOf(0.995, 1))).chosen.with).toBe(true);
    expect((await choose({}, 9, attemptOf(0.991, 4), attemptOf(0.98, 16))).chosen.with).toBe(true);
  });

  it('drops one that misses the target where the variant without it reaches it', async () => {
    const c = await choose({}, 9, attemptOf(0.985, 16), attemptOf(0.995, 0));
    expect([c.builds, c.chosen.with]).toEqual([[true, false], false]);
    expect(c.records[0]).toMatchObject({ applied: false, validation: { reached: false } });
  });

  it('when both miss, keeps the rewrite only if it is no worse in top-1 and float32 nodes', async () => {
    expect((await choose({}, 9, attemptOf(0.985, 16), attemptOf(0.98, 16))).chosen.with).toBe(true);
    expect((await choose({}, 9, attemptOf(0.975, 16), attemptOf(0.98, 16))).chosen.with).toBe(false);
  });

  it('a collapsed variant (not accepted, though its top-1 looks high) never beats an accepted one', () => {
    expect(keeps(attemptOf(0.995, 0, false), attemptOf(0.991, 2))).toBe(false);
  });

  it('builds once without trying when the rewrite is off, forced, or has no site; sites are counted anyway', async () => {
    const off = await choose({ 'pool-after-conv': 'off' }, 9, attemptOf(1, 0), attemptOf(1, 0));
    expect([off.builds, off.records]).toEqual([
      [false],
      [{ name: 'pool-after-conv', mode: 'off', sites: 9, applied: false }],
    ]);
    const on = await choose({ 'pool-after-conv': 'on' }, 9, attemptOf(0.9, 16), attemptOf(1, 0));
    expect([on.builds, on.chosen.with, on.records[0]?.applied]).toEqual([[true], true, true]);
    const none = await choose({}, 0, attemptOf(1, 0), attemptOf(1, 0));
    expect([none.builds, none.records]).toEqual([
      [false],
      [{ name: 'pool-after-conv', mode: 'try', sites: 0, applied: false }],
    ]);
  });
});
