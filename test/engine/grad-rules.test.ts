/**
 * One finite-difference test per gradient rule in src/engine/autodiff/rules.ts (see gradcheck.ts
 * for how the check works and docs/engine-autodiff.md for the tolerances).
 *
 * Everything runs in float64 except the ops whose ONNX Runtime CPU kernel has no double version
 * (marked "float32:" below, with the reason); those use the float32 tolerances of gradcheck.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { DType } from '../../src/engine/dtype.ts';
import { GraphBuilder, GraphError, int, ints, type Node, type Shape, type Value } from '../../src/engine/graph.ts';
import { grad } from '../../src/engine/autodiff/grad.ts';
import { gradRules } from '../../src/engine/autodiff/rules.ts';
import { type GradCase, type InputSpec, gradcheck, mulberry32, session } from './gradcheck.ts';

const F64: DType = 'float64';
const F32: DType = 'float32';

/** A float parameter. */
const p = (name: string, shape: Shape, extra: Partial<InputSpec> = {}): InputSpec => ({ name, dtype: F64, shape, ...extra });

/** Data in ±[0.1, 1.1]: away from 0, where Relu has its kink. */
const awayFromZero = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (0.1 + r()));
};

/** The ops of the backward pass appended by `grad`. */
const backwardOps = (r: { backward: readonly Node[] }) => new Set(r.backward.map((n) => n.op));

const covered = new Set<string>();
async function check(op: string, c: GradCase) {
  covered.add(op);
  const r = await gradcheck(c);
  assert.ok(r.checked > 0 || (c.absent?.length ?? 0) > 0, 'no element was checked');
  return r;
}

// ---- elementwise binary ops, with broadcasting ---------------------------------------------

/** Broadcasting shape pairs every binary rule is checked on. */
const BROADCASTS: readonly [Shape, Shape][] = [
  [[2, 3], [2, 3]],
  [[2, 3, 4], [4]],
  [[2, 1, 4], [3, 1]],
  [[1], [2, 3]],
  [[], [2, 3]],
];

describe('elementwise binary ops', () => {
  const ops: [string, (b: GraphBuilder, x: Value, y: Value) => Value, readonly [number, number]][] = [
    ['Add', (b, x, y) => b.add(x, y), [-1, 1]],
    ['Sub', (b, x, y) => b.sub(x, y), [-1, 1]],
    ['Mul', (b, x, y) => b.mul(x, y), [-1, 1]],
    ['Div', (b, x, y) => b.div(x, y), [0.5, 2]],
    // Pow: a positive base (ln a in d/dp), any exponent.
    ['Pow', (b, x, y) => b.pow(x, y), [-1.5, 1.5]],
  ];
  for (const [op, f, yRange] of ops) {
    for (const [sa, sb] of BROADCASTS) {
      test(`${op} [${sa.join(',')}] ⊕ [${sb.join(',')}]`, async () => {
        await check(op, {
          inputs: [p('a', sa, op === 'Pow' ? { range: [0.5, 2] } : {}), p('b', sb, { range: yRange })],
          forward: (b, i) => f(b, i.a!, i.b!),
        });
      });
    }
  }

  test('Pow with a constant integer exponent (no gradient for it)', async () => {
    await check('Pow', {
      inputs: [p('a', [2, 3], { range: [-2, 2] })],
      forward: (b, i) => b.pow(i.a!, b.constant({ dtype: 'int64', dims: [], data: BigInt64Array.of(3n) })),
    });
  });

  test('Where [2,1,4] ? [3,1] : [4] (gradients of both branches)', async () => {
    await check('Where', {
      inputs: [
        { name: 'cond', dtype: 'bool', shape: [2, 1, 4], data: [1, 0, 1, 1, 0, 0, 1, 0], param: false },
        p('a', [3, 1]),
        p('b', [4]),
      ],
      forward: (b, i) => b.where(i.cond!, i.a!, i.b!),
    });
  });

  test('Where [3] ? [2,3] : [] (the condition broadcasts too)', async () => {
    await check('Where', {
      inputs: [{ name: 'cond', dtype: 'bool', shape: [3], data: [1, 0, 1], param: false }, p('a', [2, 3]), p('b', [])],
      forward: (b, i) => b.where(i.cond!, i.a!, i.b!),
    });
  });

  // Symbolic dims the static unbroadcast cannot settle ('batch' vs 'rows' might be equal or
  // one of them 1): the rules fall back to dynamicUnbroadcast (Shape/NonZero/ReduceSum).
  const dynamicCases: [string, (b: GraphBuilder, x: Value, y: Value) => Value][] = [
    ['Add', (b, x, y) => b.add(x, y)],
    ['Sub', (b, x, y) => b.sub(x, y)],
    ['Mul', (b, x, y) => b.mul(x, y)],
    ['Div', (b, x, y) => b.div(x, y)],
    ['Pow', (b, x, y) => b.pow(x, y)],
  ];
  for (const [op, f] of dynamicCases) {
    test(`${op} with symbolic dims ['batch',4] ⊕ ['rows',4] (dynamic unbroadcast)`, async () => {
      const r = await check(op, {
        inputs: [p('a', ['batch', 4], { dims: [3, 4], range: [0.5, 2] }), p('b', ['rows', 4], { dims: [1, 4], range: [0.5, 1.5] })],
        forward: (b, i) => f(b, i.a!, i.b!),
      });
      assert.ok(backwardOps(r).has('NonZero'), 'the dynamic unbroadcast path was used');
    });
  }

  test('Mul with an unknown rank-1 dim [null] ⊕ [2,null] fed [1] and [2,3]', async () => {
    const r = await check('Mul', {
      inputs: [p('a', [null], { dims: [1] }), p('b', [2, null], { dims: [2, 3] })],
      forward: (b, i) => b.mul(i.a!, i.b!),
    });
    assert.ok(backwardOps(r).has('NonZero'), 'the dynamic unbroadcast path was used');
  });

  test('Where with symbolic dims (dynamic unbroadcast)', async () => {
    await check('Where', {
      inputs: [
        { name: 'cond', dtype: 'bool', shape: [2, 3], data: [1, 0, 0, 1, 1, 0], param: false },
        p('a', ['n', 3], { dims: [1, 3] }),
        p('b', ['m', 'k'], { dims: [2, 1] }),
      ],
      forward: (b, i) => b.where(i.cond!, i.a!, i.b!),
    });
  });

  test('symbolic dims the static path does settle: ["batch",4] ⊕ [4]', async () => {
    const r = await check('Add', {
      inputs: [p('a', ['batch', 4], { dims: [3, 4] }), p('b', [4])],
      forward: (b, i) => b.add(i.a!, i.b!),
    });
    assert.ok(!backwardOps(r).has('NonZero'), 'the static unbroadcast path was used');
  });

  test('Sum of three inputs [2,3] + [3] + [1,3]', async () => {
    await check('Sum', {
      inputs: [p('a', [2, 3]), p('b', [3]), p('c', [1, 3])],
      forward: (b, i) => b.sum([i.a!, i.b!, i.c!]),
    });
  });
});

// ---- elementwise unary ops -------------------------------------------------------------------

describe('elementwise unary ops', () => {
  const unary: [string, (b: GraphBuilder, x: Value) => Value, Partial<InputSpec>][] = [
    ['Identity', (b, x) => b.identity(x), {}],
    ['Neg', (b, x) => b.neg(x), {}],
    ['Tanh', (b, x) => b.tanh(x), { range: [-2, 2] }],
    ['Sqrt', (b, x) => b.sqrt(x), { range: [0.3, 3] }],
    ['Exp', (b, x) => b.exp(x), {}],
    ['Log', (b, x) => b.log(x), { range: [0.3, 3] }],
    ['Relu', (b, x) => b.relu(x), { data: awayFromZero(12, 7) }],
    ['Sigmoid', (b, x) => b.sigmoid(x), { range: [-3, 3] }],
  ];
  for (const [op, f, extra] of unary) {
    test(op, async () => {
      await check(op, { inputs: [p('x', [3, 4], extra)], forward: (b, i) => f(b, i.x!) });
    });
  }

  // float32: ONNX Runtime's CPU Erf kernel is float-only (no double registration).
  test('Erf (float32)', async () => {
    await check('Erf', { inputs: [p('x', [3, 4], { dtype: F32, range: [-2, 2] })], forward: (b, i) => b.erf(i.x!) });
  });

  // float32 for the same reason: the lowered GELU runs ONNX Runtime's float-only Erf.
  test('Gelu (float32, composite lowered to standard ops)', async () => {
    await check('Gelu', { inputs: [p('x', [3, 4], { dtype: F32, range: [-3, 3] })], forward: (b, i) => b.gelu(i.x!) });
  });

  test('Cast float32 → float64', async () => {
    // The loss is computed in float64 after the cast and is linear in x, so the float32 step
    // (x ± h rounded, which gradcheck divides by exactly) gives an exact difference quotient.
    await check('Cast', { inputs: [p('x', [2, 3], { dtype: F32 })], forward: (b, i) => b.cast(i.x!, 'float64') });
  });

  test('Cast round trip float64 → float32 → float64', async () => {
    // The float32 rounding in the middle quantises x to ~6e-8 relative, so h = 1e-6 would see
    // steps of a few ulps: use the float32 step and tolerances.
    await check('Cast', {
      inputs: [p('x', [2, 3])],
      forward: (b, i) => b.cast(b.cast(i.x!, 'float32'), 'float64'),
      eps: 1e-2,
      rtol: 1e-5,
      atol: 1e-5,
    });
  });
});

// ---- linear algebra ----------------------------------------------------------------------------

describe('MatMul', () => {
  const cases: [string, Shape, Shape][] = [
    ['2-D × 2-D', [3, 4], [4, 5]],
    ['3-D × 2-D (shared weight)', [2, 3, 4], [4, 5]],
    ['4-D × 4-D batched (attention)', [2, 2, 3, 4], [2, 2, 4, 3]],
    ['broadcast batch dims [2,1,3,4] × [1,3,4,2]', [2, 1, 3, 4], [1, 3, 4, 2]],
    ['2-D × 3-D (the left operand broadcasts)', [3, 4], [2, 4, 5]],
    ['4-D × 2-D (shared weight, two batch axes)', [2, 2, 3, 4], [4, 2]],
  ];
  for (const [label, sa, sb] of cases) {
    test(label, async () => {
      const r = await check('MatMul', { inputs: [p('a', sa), p('b', sb)], forward: (b, i) => b.matmul(i.a!, i.b!) });
      if (sb.length === 2 && sa.length > 2) assert.ok(backwardOps(r).has('Gemm'), 'a shared weight uses one GEMM');
    });
  }
  test('3-D × 2-D with a symbolic batch dim', async () => {
    await check('MatMul', {
      inputs: [p('a', ['batch', 3, 4], { dims: [2, 3, 4] }), p('b', [4, 5])],
      forward: (b, i) => b.matmul(i.a!, i.b!),
    });
  });
});

describe('Gemm', () => {
  const [M, K, N] = [2, 3, 4];
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const cShape of [[N], [M, N]] as Shape[]) {
        test(`transA=${+transA} transB=${+transB} C[${cShape.join(',')}] alpha=0.7 beta=1.3`, async () => {
          await check('Gemm', {
            inputs: [p('a', transA ? [K, M] : [M, K]), p('w', transB ? [N, K] : [K, N]), p('c', cShape)],
            forward: (b, i) => b.gemm(i.a!, i.w!, i.c!, { transA, transB, alpha: 0.7, beta: 1.3 }),
          });
        });
      }
    }
  }
  test('no bias, default alpha', async () => {
    await check('Gemm', { inputs: [p('a', [M, K]), p('w', [K, N])], forward: (b, i) => b.gemm(i.a!, i.w!) });
  });
  test('bias [1, N], beta = 1', async () => {
    await check('Gemm', { inputs: [p('a', [M, K]), p('w', [N, K]), p('c', [1, N])], forward: (b, i) => b.gemm(i.a!, i.w!, i.c!, { transB: true }) });
  });
});

// ---- shape ops -----------------------------------------------------------------------------------

describe('shape ops', () => {
  test('Reshape [2,3,4] → [4,-1]', async () => {
    await check('Reshape', { inputs: [p('x', [2, 3, 4])], forward: (b, i) => b.reshape(i.x!, [4, -1]) });
  });
  test('Reshape [2,3,4] → [0,12] (0 copies a dim)', async () => {
    await check('Reshape', { inputs: [p('x', [2, 3, 4])], forward: (b, i) => b.reshape(i.x!, [0, 12]) });
  });
  test('Transpose perm [2,0,1]', async () => {
    await check('Transpose', { inputs: [p('x', [2, 3, 4])], forward: (b, i) => b.transpose(i.x!, [2, 0, 1]) });
  });
  test('Transpose without perm (reverses the axes)', async () => {
    await check('Transpose', { inputs: [p('x', [2, 3, 4])], forward: (b, i) => b.op1('Transpose', [i.x!]) });
  });
  test('Unsqueeze axes [0,3]', async () => {
    await check('Unsqueeze', { inputs: [p('x', [2, 3])], forward: (b, i) => b.unsqueeze(i.x!, [0, 3]) });
  });
  test('Squeeze axes [1,-1]', async () => {
    await check('Squeeze', { inputs: [p('x', [2, 1, 3, 1])], forward: (b, i) => b.squeeze(i.x!, [1, -1]) });
  });
  test('Concat of 3 inputs on the middle axis', async () => {
    await check('Concat', {
      inputs: [p('a', [2, 1, 3]), p('b', [2, 2, 3]), p('c', [2, 3, 3])],
      forward: (b, i) => b.concat([i.a!, i.b!, i.c!], 1),
    });
  });
  test('Concat with a negative axis and a non-parameter input', async () => {
    await check('Concat', {
      inputs: [p('a', [2, 2]), { name: 'k', dtype: F64, shape: [2, 3], param: false }, p('c', [2, 1])],
      forward: (b, i) => b.concat([i.a!, i.k!, i.c!], -1),
    });
  });
  test('Slice with a negative start and an end beyond the dim on axis 1', async () => {
    await check('Slice', { inputs: [p('x', [3, 5, 2])], forward: (b, i) => b.slice(i.x!, [-3], [100], [1]) });
  });
  test('Slice on two axes, one negative, with explicit unit steps', async () => {
    await check('Slice', { inputs: [p('x', [3, 5, 4])], forward: (b, i) => b.slice(i.x!, [1, 1], [3, -1], [0, -1], [1, 1]) });
  });
  test('Slice with axes omitted (the first axes)', async () => {
    await check('Slice', { inputs: [p('x', [4, 3])], forward: (b, i) => b.op1('Slice', [i.x!, b.int64s([1]), b.int64s([-1])]) });
  });
  test('Expand [3,1] → [2,3,4]', async () => {
    await check('Expand', { inputs: [p('x', [3, 1])], forward: (b, i) => b.expand(i.x!, b.int64s([2, 3, 4])) });
  });
  test('Expand [4] → [2,3,4]', async () => {
    await check('Expand', { inputs: [p('x', [4])], forward: (b, i) => b.expand(i.x!, b.int64s([2, 3, 1])) });
  });
  test('Gather rows of an embedding table (int64 indices with repeats)', async () => {
    const r = await check('Gather', {
      inputs: [p('table', [5, 3]), { name: 'ids', dtype: 'int64', shape: [2, 3], data: [0, 2, 2, 4, 0, 2], param: false }],
      forward: (b, i) => b.gather(i.table!, i.ids!),
    });
    // Row 2 is looked up three times, row 1 and 3 never: zero gradient there.
    const g = r.grads.get('table')!;
    assert.deepEqual(g.slice(3, 6), [0, 0, 0]);
    assert.deepEqual(g.slice(9, 12), [0, 0, 0]);
  });
  test('Gather with int32 indices', async () => {
    await check('Gather', {
      inputs: [p('table', [4, 2]), { name: 'ids', dtype: 'int32', shape: [5], data: [3, 3, 1, 0, 3], param: false }],
      forward: (b, i) => b.gather(i.table!, i.ids!),
    });
  });
});

// ---- reductions and normalisation ----------------------------------------------------------------

describe('reductions', () => {
  for (const keepdims of [true, false]) {
    for (const axes of [[1], [0, 2], [-1], [0, 1, 2]]) {
      test(`ReduceMean axes [${axes.join(',')}] keepdims=${+keepdims}`, async () => {
        await check('ReduceMean', { inputs: [p('x', [2, 3, 4])], forward: (b, i) => b.reduceMean(i.x!, axes, keepdims) });
      });
      test(`ReduceSum axes [${axes.join(',')}] keepdims=${+keepdims}`, async () => {
        await check('ReduceSum', { inputs: [p('x', [2, 3, 4])], forward: (b, i) => b.reduceSum(i.x!, axes, keepdims) });
      });
    }
  }
  test('ReduceMean without axes (all)', async () => {
    await check('ReduceMean', { inputs: [p('x', [2, 3])], forward: (b, i) => b.op1('ReduceMean', [i.x!], { keepdims: int(0) }) });
  });
  test('ReduceSum with empty axes and noop_with_empty_axes=1 (identity)', async () => {
    await check('ReduceSum', {
      inputs: [p('x', [2, 3])],
      forward: (b, i) => b.op1('ReduceSum', [i.x!, b.int64s([])], { noop_with_empty_axes: int(1) }),
    });
  });
  test('ReduceSumSquare of all elements', async () => {
    await check('ReduceSumSquare', { inputs: [p('x', [2, 3])], forward: (b, i) => b.reduceSumSquareAll(i.x!) });
  });
  test('ReduceSumSquare axes [1] keepdims=1 and [0,2] keepdims=0', async () => {
    await check('ReduceSumSquare', {
      inputs: [p('x', [2, 3, 2])],
      forward: (b, i) => [
        b.op1('ReduceSumSquare', [i.x!], { axes: ints([1]), keepdims: int(1) }),
        b.op1('ReduceSumSquare', [i.x!], { axes: ints([0, 2]), keepdims: int(0) }),
      ],
    });
  });
});

describe('softmax and normalisation', () => {
  for (const axis of [-1, 1]) {
    test(`Softmax axis ${axis}`, async () => {
      await check('Softmax', { inputs: [p('x', [2, 3, 4], { range: [-2, 2] })], forward: (b, i) => b.softmax(i.x!, axis) });
    });
    test(`LogSoftmax axis ${axis}`, async () => {
      await check('LogSoftmax', { inputs: [p('x', [2, 3, 4], { range: [-2, 2] })], forward: (b, i) => b.logSoftmax(i.x!, axis) });
    });
  }
  test('LayerNormalization axis -1 (input, scale and bias)', async () => {
    await check('LayerNormalization', {
      inputs: [p('x', [2, 3, 4], { range: [-2, 2] }), p('scale', [4], { range: [0.5, 1.5] }), p('bias', [4])],
      forward: (b, i) => b.layerNormalization(i.x!, i.scale!, i.bias!, 1e-5),
    });
  });
  test('LayerNormalization axis 1 over the last two axes', async () => {
    await check('LayerNormalization', {
      inputs: [p('x', [2, 3, 4], { range: [-2, 2] }), p('scale', [3, 4], { range: [0.5, 1.5] }), p('bias', [3, 4])],
      forward: (b, i) => b.layerNormalization(i.x!, i.scale!, i.bias!, 1e-3, 1),
    });
  });
});

// ---- losses ----------------------------------------------------------------------------------------

describe('SoftmaxCrossEntropyLoss', () => {
  test('scores [N, C], mean over labels that are not -100; loss and log_prob both used', async () => {
    await check('SoftmaxCrossEntropyLoss', {
      inputs: [p('scores', [5, 4], { range: [-2, 2] }), { name: 'labels', dtype: 'int64', shape: [5], data: [1, -100, 3, 0, -100], param: false }],
      forward: (b, i) => b.softmaxCrossEntropyLoss(i.scores!, i.labels!),
    });
  });
  test('scores [N, C, D] (per-position labels), loss only', async () => {
    await check('SoftmaxCrossEntropyLoss', {
      inputs: [
        p('scores', [2, 3, 4], { range: [-2, 2] }),
        { name: 'labels', dtype: 'int64', shape: [2, 4], data: [0, 2, -100, 1, 2, -100, -100, 0], param: false },
      ],
      forward: (b, i) => b.softmaxCrossEntropyLoss(i.scores!, i.labels!)[0]!,
    });
  });
  test('scores [N, C, D], loss and log_prob', async () => {
    await check('SoftmaxCrossEntropyLoss', {
      inputs: [p('scores', [2, 3, 2], { range: [-2, 2] }), { name: 'labels', dtype: 'int64', shape: [2, 2], data: [0, 2, -100, 1], param: false }],
      forward: (b, i) => b.softmaxCrossEntropyLoss(i.scores!, i.labels!),
    });
  });
  test('every label ignored: the loss is NaN (0/0, as in ORT), the gradient zero, not NaN', async () => {
    covered.add('SoftmaxCrossEntropyLoss');
    const b = new GraphBuilder();
    const scores = b.input('scores', F64, [2, 3]);
    const labels = b.constant({ dtype: 'int64', dims: [2], data: BigInt64Array.of(-100n, -100n) });
    const [loss] = b.softmaxCrossEntropyLoss(scores, labels);
    b.output(grad(b, loss!, [scores]).get('scores')!, 'dscores');
    b.output(loss!, 'loss');
    const s = await session(b);
    const r = await s.run({ scores: new ort.Tensor('float64', Float64Array.of(1, 2, 3, 4, 5, 6), [2, 3]) });
    assert.ok(Number.isNaN(r.loss!.data[0]), 'ORT returns NaN for an empty mean');
    assert.ok(Array.from(r.dscores!.data as Float64Array).every((v) => v === 0), 'all-zero gradient');
  });
});

// ---- float32 --------------------------------------------------------------------------------------

// The rules that build constants or casts of their own type are run once more in float32 (the
// type training uses), with the float32 step and tolerances of gradcheck.ts.
describe('float32', () => {
  const f = (name: string, shape: Shape, extra: Partial<InputSpec> = {}) => p(name, shape, { dtype: F32, ...extra });
  test('SoftmaxCrossEntropyLoss [N, C, D]', async () => {
    await check('SoftmaxCrossEntropyLoss', {
      inputs: [f('scores', [2, 3, 2], { range: [-2, 2] }), { name: 'labels', dtype: 'int64', shape: [2, 2], data: [0, -100, 2, 1], param: false }],
      forward: (b, i) => b.softmaxCrossEntropyLoss(i.scores!, i.labels!),
    });
  });
  test('Gather', async () => {
    await check('Gather', {
      inputs: [f('table', [4, 3]), { name: 'ids', dtype: 'int64', shape: [3], data: [1, 3, 1], param: false }],
      forward: (b, i) => b.gather(i.table!, i.ids!),
    });
  });
  test('LayerNormalization', async () => {
    await check('LayerNormalization', {
      inputs: [f('x', [2, 4], { range: [-2, 2] }), f('scale', [4], { range: [0.5, 1.5] }), f('bias', [4])],
      forward: (b, i) => b.layerNormalization(i.x!, i.scale!, i.bias!, 1e-5),
    });
  });
  test('MatMul 3-D × 2-D and Gemm', async () => {
    await check('MatMul', { inputs: [f('a', [2, 3, 4]), f('w', [4, 2])], forward: (b, i) => b.matmul(i.a!, i.w!) });
    await check('Gemm', { inputs: [f('a', [3, 2]), f('w', [4, 3]), f('c', [4])], forward: (b, i) => b.gemm(i.a!, i.w!, i.c!, { transA: true, transB: true, alpha: 0.5, beta: 2 }) });
  });
  test('ReduceMean, Pow, Where', async () => {
    await check('ReduceMean', { inputs: [f('x', [2, 3])], forward: (b, i) => b.reduceMean(i.x!, [1], false) });
    await check('Pow', { inputs: [f('a', [2, 3], { range: [0.5, 2] }), f('e', [3])], forward: (b, i) => b.pow(i.a!, i.e!) });
    await check('Where', {
      inputs: [{ name: 'cond', dtype: 'bool', shape: [3], data: [0, 1, 1], param: false }, f('a', [2, 3]), f('b', [1])],
      forward: (b, i) => b.where(i.cond!, i.a!, i.b!),
    });
  });
});

// ---- dropout (random: checked against its own mask, not by finite differences) -------------------

describe('Dropout', () => {
  const dims = [4, 6];
  const n = 24;
  const R = Float64Array.from({ length: n }, (_, k) => Math.sin(k + 1));
  const X = Float64Array.from({ length: n }, (_, k) => Math.cos(3 * k));

  /** x → Dropout(x, 0.3, training) → Σ y ⊙ R; returns y, the mask and dL/dx of one run. */
  async function run(training: 'true' | 'false' | 'input-true' | 'input-false' | 'omitted') {
    covered.add('Dropout');
    const b = new GraphBuilder('dropout');
    const x = b.input('x', F64, dims);
    const ratio = b.scalar(0.3, F64);
    let tr: Value | undefined;
    const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float64', X, dims) };
    if (training === 'true' || training === 'false') tr = b.scalar(training === 'true' ? 1 : 0, 'bool');
    else if (training !== 'omitted') {
      tr = b.input('training', 'bool', []);
      feeds.training = new ort.Tensor('bool', Uint8Array.of(training === 'input-true' ? 1 : 0), []);
    }
    const [y, mask] = training === 'omitted' ? b.op('Dropout', [x, ratio], {}, 2) : b.dropout(x, ratio, tr!);
    const loss = b.reduceSum(b.mul(y!, b.initializer('R', { dtype: 'float64', dims, data: R })), [], false);
    const g = grad(b, loss, [x]).get('x')!;
    b.output(y!, 'y');
    b.output(mask!, 'mask');
    b.output(g, 'dx');
    const s = await session(b);
    const r = await s.run(feeds);
    await s.release();
    return { y: r.y!.data as Float64Array, mask: Array.from(r.mask!.data as Uint8Array, Boolean), dx: r.dx!.data as Float64Array };
  }

  for (const mode of ['true', 'input-true'] as const) {
    test(`training mode (${mode === 'true' ? 'constant' : 'graph input'}), ratio 0.3: dx = dy·mask/(1−ratio)`, async () => {
      const { y, mask, dx } = await run(mode);
      assert.ok(mask.some((m) => m) && mask.some((m) => !m), 'the mask keeps some elements and drops others');
      for (let k = 0; k < n; k++) {
        const keep = mask[k] ? 1 / 0.7 : 0;
        // ORT computes 1/(1−ratio) in float32 (1.42857146…), hence 1e-7 against the exact value …
        assert.ok(Math.abs(y[k]! - X[k]! * keep) <= 1e-7 * Math.abs(X[k]!), `y[${k}] = ${y[k]} is x·mask/(1−ratio) = ${X[k]! * keep}`);
        assert.ok(Math.abs(dx[k]! - R[k]! * keep) <= 1e-7 * Math.abs(R[k]!), `dx[${k}] = ${dx[k]} is dy·mask/(1−ratio) = ${R[k]! * keep}`);
        // … and the rule uses the very same scale as the forward pass: dx/dy = y/x to the last bits.
        assert.ok(Math.abs(dx[k]! / R[k]! - y[k]! / X[k]!) < 1e-15, `dx[${k}]/dy[${k}] = ${dx[k]! / R[k]!} vs y/x = ${y[k]! / X[k]!}`);
      }
    });
  }
  for (const mode of ['false', 'input-false', 'omitted'] as const) {
    test(`inference mode (training ${mode}): identity gradient`, async () => {
      const { y, dx } = await run(mode);
      assert.deepEqual(Array.from(y), Array.from(X));
      assert.deepEqual(Array.from(dx), Array.from(R));
    });
  }
});

// ---- how grad() puts the rules together ------------------------------------------------------------

describe('grad', () => {
  test('a value used twice gets the sum of both contributions', async () => {
    const r = await check('Mul', {
      inputs: [p('x', [2, 3])],
      forward: (b, i) => b.add(b.mul(i.x!, i.x!), b.tanh(i.x!)),
    });
    assert.ok(backwardOps(r).has('Sum'), 'contributions are summed');
  });

  test('a parameter the loss does not depend on is absent from the result', async () => {
    await check('Add', {
      inputs: [p('x', [2, 3]), p('unused', [3])],
      forward: (b, i) => b.add(i.x!, b.scalar(1, F64)),
      absent: ['unused'],
    });
    const b = new GraphBuilder();
    const x = b.input('x', F64, [2]);
    const u = b.input('u', F64, [2]);
    void b.add(u, u); // depends on u, but the loss does not
    const g = grad(b, b.reduceSum(x, [], false), [x, u]);
    assert.deepEqual([...g.keys()], ['x']);
  });

  test('the backward pass keeps static (and symbolic) shapes: no dynamic unbroadcast needed', () => {
    const b = new GraphBuilder();
    const x = b.input('x', F32, ['batch', 3]);
    const w = b.input('w', F32, [3, 4]);
    const bias = b.input('bias', F32, [4]);
    const table = b.input('table', F32, [5, 3]);
    const ids = b.input('ids', 'int64', ['batch']);
    const h = b.add(b.tanh(b.add(b.matmul(b.add(x, b.gather(table, ids)), w), bias)), b.scalar(1));
    const loss = b.reduceMean(b.reshape(h, [-1]), [0], false);
    const before = b.nodes.length;
    const g = grad(b, loss, [x, w, bias, table]);
    assert.deepEqual(g.get('x')!.shape, ['batch', 3]);
    assert.deepEqual(g.get('w')!.shape, [3, 4]);
    assert.deepEqual(g.get('bias')!.shape, [4]);
    assert.deepEqual(g.get('table')!.shape, [5, 3]);
    assert.ok(!backwardOps({ backward: b.nodes.slice(before) }).has('NonZero'), 'no dynamic unbroadcast');
  });

  test('a non-scalar loss without a seed is a GraphError', () => {
    const b = new GraphBuilder();
    const x = b.input('x', F64, [2, 3]);
    const y = b.tanh(x);
    assert.throws(() => grad(b, y, [x]), (e: unknown) => e instanceof GraphError && /loss 'Tanh_out' has shape \[2, 3\].*seed/.test(e.message));
  });

  test('a non-scalar loss with a seed works', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', F64, [2]);
    const y = b.mul(x, b.scalar(3, F64));
    const g = grad(b, y, [x], { seed: b.constant({ dtype: 'float64', dims: [2], data: Float64Array.of(1, 2) }) }).get('x')!;
    b.output(g, 'dx');
    const s = await session(b);
    const r = await s.run({ x: new ort.Tensor('float64', Float64Array.of(5, 7), [2]) });
    assert.deepEqual(Array.from(r.dx!.data as Float64Array), [3, 6]);
  });

  test('an op without a rule is a GraphError naming the op and the node', () => {
    const b = new GraphBuilder();
    const x = b.input('x', F64, [2]);
    const loss = b.reduceSum(b.op1('Abs', [x]), [], false);
    assert.throws(() => grad(b, loss, [x]), (e: unknown) => e instanceof GraphError && /no gradient rule for Abs \(node 'Abs'\)/.test(e.message));
  });

  test('a shape mismatch fails at build time naming the op and its inputs', () => {
    const b = new GraphBuilder();
    const a = b.input('a', F32, [2, 3]);
    const w = b.input('w', F32, [4, 5]);
    assert.throws(
      () => b.matmul(a, w),
      (e: unknown) => e instanceof GraphError && /^MatMul 'MatMul': inner dimensions differ: 3 and 4/.test(e.message) && /'a' float32\[2, 3\]/.test(e.message) && /'w' float32\[4, 5\]/.test(e.message),
    );
  });

  test('every rule in rules.ts has a test in this file', () => {
    const missing = Object.keys(gradRules).filter((op) => !covered.has(op));
    assert.deepEqual(missing, []);
  });
});
