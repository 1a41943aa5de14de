import { describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { ModelRegistry } from './registry.js';
import { FakeEngine, FakeSource, fakeDecoder, fakeManifest } from '../../test/support/fakes.js';
import { type Manifest, parseManifest } from '../core/manifest.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** The same model with other files (what `netlens train --force` or a re-conversion writes). */
function replaced(manifest: Manifest, sha: string): Manifest {
  return parseManifest({ ...manifest, sha256: { model: sha.repeat(64) } });
}

function setup() {
  const source = new FakeSource().add(fakeManifest('d')).add(fakeManifest('x'));
  const engine = new FakeEngine();
  const registry = new ModelRegistry({ source, engine, defaultModel: 'd' });
  return { source, engine, registry };
}

describe('models added, replaced or removed while the registry runs', () => {
  it('finds a model added after start on its first use, without a rescan', async () => {
    const { source, registry } = setup();
    await registry.start();
    source.add(fakeManifest('new'));
    const model = await registry.acquire('new');
    expect(model.manifest.name).toBe('new');
    model.release();
  });

  it('rescan reports what changed; a replaced model is disposed and its next use loads the new files', async () => {
    const { source, engine, registry } = setup();
    await registry.start();
    (await registry.acquire('x')).release();
    source.add(replaced(fakeManifest('x'), 'c')).add(fakeManifest('y'));
    source.manifests.delete('d');
    expect(await registry.rescan()).toEqual({
      models: ['x', 'y'],
      added: ['y'],
      changed: ['x'],
      removed: ['d'],
    });
    await tick();
    expect(engine.disposed.sort()).toEqual(['d:model', 'x:model']);
    const x = await registry.acquire('x');
    expect(x.manifest.sha256.model).toBe('c'.repeat(64));
    x.release();
    expect(engine.sessionsCreated).toBe(3); // d, x, then the new x
    await expect(registry.acquire('d')).rejects.toMatchObject({ code: 'unknown_model' });
    expect(await registry.rescan()).toEqual({ models: ['x', 'y'], added: [], changed: [], removed: [] });
  });

  it('keeps a replaced model’s session for the requests using it and disposes it after the last one', async () => {
    const { source, engine, registry } = setup();
    await registry.start();
    const inUse = await registry.acquire('x');
    source.add(replaced(fakeManifest('x'), 'c'));
    await registry.rescan();
    await tick();
    expect(engine.disposed).toEqual([]);
    expect(inUse.manifest.sha256.model).toBe('a'.repeat(64)); // the old model, consistently
    inUse.release();
    await tick();
    expect(engine.disposed).toEqual(['x:model']);
  });

  it('a model replaced while it loads is loaded again from the new files', async () => {
    const { source, engine, registry } = setup();
    await registry.start();
    engine.hold(); // the warm-up run of the next session waits
    const blocked = engine.blocked();
    const loading = registry.acquire('x');
    await blocked;
    source.add(replaced(fakeManifest('x'), 'c'));
    expect((await registry.rescan()).changed).toEqual(['x']);
    engine.release();
    const x = await loading;
    expect(x.manifest.sha256.model).toBe('c'.repeat(64));
    x.release();
    await tick();
    expect(engine.disposed).toEqual(['x:model']); // the session of the old files
    expect(engine.sessionsCreated).toBe(3);
  });

  it('GET /v1/models rescans too, and POST /v1/models/rescan answers the change set', async () => {
    const { source, registry } = setup();
    await registry.start();
    const app = createApp({ registry, decodeImage: fakeDecoder, config: {} });
    source.add(fakeManifest('z'));
    const rescan = await app.request('/v1/models/rescan', { method: 'POST' });
    expect(rescan.status).toBe(200);
    expect(await rescan.json()).toEqual({ models: ['d', 'x', 'z'], added: ['z'], changed: [], removed: [] });
    source.manifests.delete('z');
    const list = (await (await app.request('/v1/models')).json()) as { models: { name: string }[] };
    expect(list.models.map((m) => m.name)).toEqual(['d', 'x']);
    expect((await registry.rescan()).removed).toEqual([]);
  });
});
