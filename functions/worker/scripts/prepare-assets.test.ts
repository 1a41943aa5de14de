import { describe, expect, it } from 'vitest';
import { readWranglerConfig } from './offline-env.js';
import { edgeBuildSettings, envArgument } from './prepare-assets.js';

describe('the edge build reads the settings the Worker will read', () => {
  const config = readWranglerConfig();

  it("takes the model list from wrangler.jsonc's vars of the chosen environment", () => {
    const build = edgeBuildSettings({});
    expect(build.names).toEqual(config.vars!.NETLENS_MODELS!.split(','));
    expect(build.store).toBe('assets');
    expect(build.varArgs).toEqual([]);
    expect(build.origin).toBe('from wrangler.jsonc vars');
    const r2 = edgeBuildSettings({}, 'r2');
    expect(r2.store).toBe('r2');
    expect(r2.origin).toBe("from wrangler.jsonc env 'r2' vars");
  });

  it('passes a different list from the shell to wrangler, so build and run never disagree', () => {
    const build = edgeBuildSettings({ NETLENS_MODELS: ' nsfw-mobilenet-v2 , nsfw-inception-v3 ' });
    expect(build.names).toEqual(['nsfw-mobilenet-v2', 'nsfw-inception-v3']);
    expect(build.varArgs).toEqual(['--var', 'NETLENS_MODELS:nsfw-mobilenet-v2,nsfw-inception-v3']);
    expect(build.origin).toMatch(/^from the shell, passed to wrangler as --var: NETLENS_MODELS=/);
    // The old name counts as the same setting; a value equal to the config's needs no --var.
    expect(edgeBuildSettings({ NETLENS_EDGE_MODELS: 'a,b', NETLENS_MODEL: 'b' }).varArgs).toEqual([
      '--var',
      'NETLENS_MODELS:a,b',
      '--var',
      'NETLENS_MODEL:b',
    ]);
    expect(edgeBuildSettings({ NETLENS_MODELS: config.vars!.NETLENS_MODELS }).varArgs).toEqual([]);
  });

  it('refuses what the Worker would refuse, naming the values', () => {
    expect(() => edgeBuildSettings({ NETLENS_MODEL: 'other', NETLENS_MODELS: 'nsfw-mobilenet-v2' })).toThrow(
      "NETLENS_MODEL 'other' is not one of NETLENS_MODELS (nsfw-mobilenet-v2): the Worker serves only those",
    );
    expect(() => edgeBuildSettings({ NETLENS_MODEL_STORE: 'r2' })).toThrow(
      /NETLENS_MODEL_STORE=r2 in the shell, but the wrangler environment '' sets assets: choose the store with the environment \(--env r2/,
    );
    expect(() => edgeBuildSettings({}, 'staging')).toThrow(
      "wrangler.jsonc has no environment 'staging'; it has: '', 'r2'",
    );
  });

  it('reads --env in every form the scripts accept', () => {
    expect(envArgument(['--env', 'r2', '--dry-run'])).toEqual({ env: 'r2', rest: ['--dry-run'] });
    expect(envArgument(['--env=r2'])).toEqual({ env: 'r2', rest: [] });
    expect(envArgument(['-e', 'r2', '--outdir', 'x'])).toEqual({ env: 'r2', rest: ['--outdir', 'x'] });
    expect(envArgument(['--dry-run'])).toEqual({ env: '', rest: ['--dry-run'] });
  });
});
