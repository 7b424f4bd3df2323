import { isFloat } from '../dtype.ts';
import { GraphError, type GraphBuilder, type Node, type Value } from '../graph.ts';
import type { GradContext } from './context.ts';
import { gradRules } from './rules.ts';

export interface GradOptions {
  /** The gradient fed into `loss` (default: 1, which requires a scalar loss). */
  seed?: Value;
}

/**
 * Reverse-mode differentiation: appends to `b` the backward pass of `loss` with respect to
 * `params`, and returns each parameter's gradient by name. A parameter the loss does not
 * depend on is absent from the result (as PyTorch leaves `.grad` as None).
 */
export function grad(b: GraphBuilder, loss: Value, params: readonly Value[], opts: GradOptions = {}): Map<string, Value> {
  const producer = new Map<string, Node>();
  for (const n of b.nodes) for (const o of n.outputs) producer.set(o, n);
  if (!b.values.has(loss.name)) throw new GraphError(`grad: loss '${loss.name}' is not a value of graph '${b.name}'`);

  // Forward: which values depend on a parameter.
  const dependsOnParam = new Set(params.map((p) => p.name));
  for (const p of params) {
    if (!b.values.has(p.name)) throw new GraphError(`grad: parameter '${p.name}' is not a value of graph '${b.name}'`);
  }
  const forward = [...b.nodes];
  for (const n of forward) {
    if (n.inputs.some((i) => dependsOnParam.has(i))) for (const o of n.outputs) dependsOnParam.add(o);
  }
  // Backward: which nodes the loss depends on.
  const needed = new Set<Node>();
  const stack = [loss.name];
  const seen = new Set<string>();
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const n = producer.get(name);
    if (!n || needed.has(n)) continue;
    needed.add(n);
    for (const i of n.inputs) if (i && dependsOnParam.has(i)) stack.push(i);
  }

  const seed = opts.seed ?? (() => {
    if (loss.shape && loss.shape.length !== 0) {
      throw new GraphError(`grad: loss '${loss.name}' has shape [${loss.shape.join(', ')}]; pass a seed gradient for a non-scalar loss`);
    }
    return b.scalar(1, loss.dtype);
  })();

  const contributions = new Map<string, Value[]>([[loss.name, [seed]]]);
  const total = (name: string): Value | undefined => {
    const parts = contributions.get(name);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length > 1) {
      const summed = b.sum(parts);
      contributions.set(name, [summed]);
      return summed;
    }
    return parts[0];
  };

  b.scope('grad', () => {
    for (let k = forward.length - 1; k >= 0; k--) {
      const node = forward[k]!;
      if (!needed.has(node)) continue;
      const dys = node.outputs.map(total);
      if (dys.every((d) => d === undefined)) continue;
      const rule = gradRules[node.op];
      if (!rule) {
        throw new GraphError(`grad: no gradient rule for ${node.op} (node '${node.name}'); supported: ${Object.keys(gradRules).sort().join(', ')}`);
      }
      const inputs = node.inputs.map((i) => (i ? b.values.get(i) : undefined));
      const ctx: GradContext = {
        b,
        node,
        inputs,
        outputs: node.outputs.map((o) => b.values.get(o)!),
        dys,
        wants: (i) => {
          const v = inputs[i];
          return v !== undefined && dependsOnParam.has(v.name) && isFloat(v.dtype);
        },
        savedOutputs: (count) => b.extendOutputs(b.nodes.find((n) => n.name === node.name)!, count),
      };
      const grads = b.scope(node.name, () => rule(ctx));
      grads.forEach((g, i) => {
        const v = inputs[i];
        if (!g || !v || !ctx.wants(i)) return;
        const list = contributions.get(v.name);
        if (list) list.push(g);
        else contributions.set(v.name, [g]);
      });
    }
  });

  const result = new Map<string, Value>();
  for (const p of params) {
    const g = total(p.name);
    if (g) result.set(p.name, g);
  }
  return result;
}
