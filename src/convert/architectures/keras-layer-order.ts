import type { KerasLayerJson } from './keras-json.js';

/**
 * Orders layers as Keras' `Network._map_graph_network` does (Keras 2.2 and tf.keras 2.x): a depth-first
 * walk from the outputs assigns each layer a discovery index and each node a depth (outputs 0,
 * producers deeper); layers are listed by decreasing depth, ties by discovery index. This is the order of
 * `model.layers`, of `to_json()` and of the weight file's `layer_names`, and so the order Keras'
 * `load_weights(by_name=False)` pairs weights in.
 */
export function kerasLayerOrder(
  layers: readonly KerasLayerJson[],
  outputs: readonly string[],
  /** Layers with no Keras counterpart, each feeding one layer: ordered as part of that layer. */
  standIns: ReadonlySet<string> = new Set(),
): KerasLayerJson[] {
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const discovery = new Map<string, number>();
  const finished = new Set<string>();
  const nodesInDecreasingDepth: string[] = [];

  // Every layer here is called once (node index 0), so a node is identified by its layer's name.
  const visit = (name: string): void => {
    if (finished.has(name)) return;
    const layer = byName.get(name);
    if (!layer) throw new Error(`layer '${name}' is referenced but not defined`);
    if (!discovery.has(name)) discovery.set(name, discovery.size);
    for (const node of layer.inbound_nodes) {
      for (const [inbound] of node) visit(inbound);
    }
    finished.add(name);
    nodesInDecreasingDepth.push(name);
  };
  for (const output of outputs) visit(output);

  // A stand-in adds no depth: its inputs get the depth they would have as inputs of its consumer.
  const depth = new Map<string, number>();
  const consumer = new Map<string, string>();
  for (const name of [...nodesInDecreasingDepth].reverse()) {
    const own = depth.get(name) ?? 0;
    depth.set(name, own);
    const layer = byName.get(name);
    for (const node of layer?.inbound_nodes ?? []) {
      for (const [inbound] of node) {
        consumer.set(inbound, name);
        depth.set(inbound, Math.max(own + (standIns.has(name) ? 0 : 1), depth.get(inbound) ?? 0));
      }
    }
  }

  const ordered = [...discovery.keys()]
    .filter((name) => !standIns.has(name))
    .sort((a, b) => {
      const byDepth = (depth.get(b) ?? 0) - (depth.get(a) ?? 0);
      return byDepth !== 0 ? byDepth : (discovery.get(a) ?? 0) - (discovery.get(b) ?? 0);
    });
  // Each stand-in goes right before the layer it feeds (chains of stand-ins keep their order).
  for (const name of [...discovery.keys()].filter((n) => standIns.has(n)).reverse()) {
    const next = consumer.get(name);
    const at = next === undefined ? -1 : ordered.indexOf(next);
    if (at < 0) throw new Error(`stand-in layer '${name}' feeds no layer`);
    ordered.splice(at, 0, name);
  }
  return ordered.map((name) => byName.get(name) as KerasLayerJson);
}
