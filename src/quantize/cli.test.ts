import { describe, expect, it } from 'vitest';
import { formatSpeedRewrites } from './cli.js';

const measured = { top1: 0.9911, kl: 2.6e-3, meanAbsDiff: 4.2e-3 };

describe('formatSpeedRewrites (the summary lines)', () => {
  it('says which rewrite was applied or rejected, with the validation figure that decided', () => {
    const base = { name: 'pool-after-conv' as const, mode: 'try' as const, sites: 9 };
    expect(
      formatSpeedRewrites([
        { ...base, applied: true, validation: { ...measured, reached: true, float32Nodes: 0 } },
      ]),
    ).toEqual(['rewrites    pool-after-conv applied at 9 site(s): validation top-1 99.1%']);
    expect(
      formatSpeedRewrites([
        {
          ...base,
          applied: false,
          validation: { ...measured, top1: 0.97, reached: false, float32Nodes: 16 },
        },
      ]),
    ).toEqual([
      'rewrites    pool-after-conv tried at 9 site(s) and rejected: validation top-1 97.0% with 16 node(s) kept float32, short of the target',
    ]);
  });

  it('prints nothing for a tried rewrite the graph has no site for', () => {
    expect(formatSpeedRewrites([{ name: 'pool-after-conv', mode: 'try', sites: 0, applied: false }])).toEqual(
      [],
    );
  });
});
