import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORT_MEMORY_KEY, seedLocalR2 } from './seed-r2.js';

const MODELS = resolve(import.meta.dirname, '../../../models/onnx');
const MODEL = 'nsfw-mobilenet-v2';
const MiB = 1024 * 1024;

describe('seed:worker-r2', () => {
  it('puts each model file and ort-memory.json with the measured ORT memory the Worker admits models by', async () => {
    const lines: string[] = [];
    const seeded = await seedLocalR2(
      'bucket',
      { names: [MODEL], modelsDir: MODELS, budget: 100 * MiB },
      { dryRun: true, log: (line) => lines.push(line) },
    );
    expect(seeded.keys).toEqual([`${MODEL}.json`, `${MODEL}.onnx`, `${MODEL}.features.onnx`, ORT_MEMORY_KEY]);
    // Measured as build:worker measures it (docs/edge.md: 40.0 MiB with low-memory loading).
    const measured = seeded.ortMemory[MODEL] ?? 0;
    expect(measured).toBeGreaterThan(20 * MiB);
    expect(measured).toBeLessThan(64 * MiB);
    expect(lines).toContain(`# ${ORT_MEMORY_KEY}: {"${MODEL}":${measured}}`);
    const puts = lines.filter((l) => l.startsWith('npx wrangler r2 object put'));
    expect(puts).toHaveLength(4);
    expect(puts[1]).toContain(`bucket/${MODEL}.onnx --file ${join(MODELS, `${MODEL}.onnx`)} --local`);
    expect(puts[3]).toMatch(
      / bucket\/ort-memory\.json --file \S+ort-memory\.json --local -c functions\/worker\/wrangler\.jsonc --env r2/,
    );
  }, 60_000);

  it('refuses a model that does not fit the budget before putting anything, naming the figures', async () => {
    const lines: string[] = [];
    await expect(
      seedLocalR2(
        'bucket',
        { names: [MODEL], modelsDir: MODELS, budget: 64 * MiB },
        { dryRun: true, log: (line) => lines.push(line) },
      ),
    ).rejects.toThrow(/nsfw-mobilenet-v2.*64/);
    expect(lines).toEqual([]);
  }, 60_000);
});
