import type { Dim, GraphBuilder, Value } from '../graph.ts';

/**
 * Sums `dy` (the gradient of a broadcast result) back down to the shape of `x`: over the
 * leading axes `x` lacks and over the axes where `x` has size 1. Decided from the static
 * shapes when they settle it, otherwise computed in the graph from `Shape` ops.
 */
export function unbroadcast(b: GraphBuilder, dy: Value, x: Value): Value {
  const xs = x.shape;
  const ys = dy.shape;
  if (xs && ys && sameDims(xs, ys)) return dy;
  if (xs && ys && ys.length >= xs.length) {
    const lead = ys.length - xs.length;
    const axes: number[] = [];
    for (let i = 0; i < lead; i++) axes.push(i);
    let decided = true;
    xs.forEach((d, i) => {
      const e = ys[lead + i]!;
      if (d === 1) {
        if (e !== 1) axes.push(lead + i);
      } else if (d === null || (d !== e && !(typeof d === 'number' && e === null))) {
        // An unknown dim, or two different symbols: only the runtime knows whether it broadcast.
        decided = false;
      }
    });
    if (decided) {
      if (axes.length === 0) return dy;
      const summed = b.reduceSum(dy, axes, true);
      return lead > 0 ? b.squeeze(summed, axes.slice(0, lead)) : summed;
    }
  }
  return dynamicUnbroadcast(b, dy, x);
}

function sameDims(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d !== null && d === b[i]);
}

function dynamicUnbroadcast(b: GraphBuilder, dy: Value, x: Value): Value {
  const sx = b.shape(x);
  const sy = b.shape(dy);
  const lead = b.sub(b.op1('Size', [sy]), b.op1('Size', [sx]));
  const ones = b.op1('ConstantOfShape', [b.unsqueeze(lead, [0])], { value: { kind: 'tensor', value: { dtype: 'int64', dims: [1], data: BigInt64Array.of(1n) } } });
  const padded = b.concat([ones, sx], 0);
  const differs = b.not(b.equal(padded, sy));
  const axes = b.squeeze(b.op1('NonZero', [differs]), [0]);
  const summed = b.op1('ReduceSum', [dy, axes], { keepdims: { kind: 'int', value: 1 }, noop_with_empty_axes: { kind: 'int', value: 1 } });
  return b.reshape(summed, sx);
}
