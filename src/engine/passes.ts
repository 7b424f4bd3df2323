/**
 * Rewrites applied to a finished graph just before it is serialised. They change how the graph
 * is spelled for ONNX Runtime, never what it computes.
 */
import type { Graph, Node } from './graph.ts';

/**
 * Removes the `Identity` nodes that `GraphBuilder.output` adds to give a value its output name,
 * by giving the producing node's output that name directly. ONNX Runtime does not elide an
 * Identity that feeds a graph output, so each one copied its tensor on every run: for a training
 * graph, every weight and both moments, once per step.
 *
 * An Identity is elided only when its input is produced by a node (not a graph input or an
 * initializer), is not itself a graph output, and is not renamed by an earlier Identity.
 */
export function elideOutputIdentities(g: Graph): Graph {
  const graphOutputs = new Set(g.outputs.map((v) => v.name));
  const produced = new Set(g.nodes.flatMap((n) => n.outputs));
  const rename = new Map<string, string>();
  const dropped = new Set<Node>();
  for (const n of g.nodes) {
    if (n.op !== 'Identity' || !graphOutputs.has(n.outputs[0]!)) continue;
    const from = n.inputs[0]!;
    if (!produced.has(from) || graphOutputs.has(from) || rename.has(from)) continue;
    rename.set(from, n.outputs[0]!);
    dropped.add(n);
  }
  if (rename.size === 0) return g;
  const to = (name: string) => rename.get(name) ?? name;
  const nodes = g.nodes
    .filter((n) => !dropped.has(n))
    .map((n) =>
      n.inputs.some((i) => rename.has(i)) || n.outputs.some((o) => rename.has(o))
        ? { ...n, inputs: n.inputs.map(to), outputs: n.outputs.map(to) }
        : n,
    );
  return { ...g, nodes };
}
