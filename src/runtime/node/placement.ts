import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Nodes per execution provider, as onnxruntime's profiler saw them run (kernel events' args.provider). */
export type Placement = Record<string, number>;

interface ProfileEvent {
  cat?: string;
  name?: string;
  args?: { provider?: string; op_name?: string };
}

/** A temporary folder for one session's profile (the profiler writes `<prefix>_<date>.json`). */
export async function profileDirectory(): Promise<{ prefix: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'netlens-profile-'));
  return { prefix: join(dir, 'placement'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Reads the profile written by `endProfiling()` and counts distinct nodes per provider. */
export async function readPlacement(prefix: string): Promise<Placement> {
  const dir = join(prefix, '..');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  const nodes = new Map<string, string>();
  for (const file of files) {
    const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as ProfileEvent[];
    for (const event of events) {
      const provider = event.args?.provider;
      if (event.cat === 'Node' && provider !== undefined && event.name !== undefined) {
        nodes.set(event.name.replace(/_(kernel_time|fence_before|fence_after)$/, ''), provider);
      }
    }
  }
  const placement: Placement = {};
  for (const provider of nodes.values()) placement[provider] = (placement[provider] ?? 0) + 1;
  return placement;
}
