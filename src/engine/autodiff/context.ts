import type { GraphBuilder, Node, Value } from '../graph.ts';

/** What a gradient rule sees of one forward node. */
export interface GradContext {
  readonly b: GraphBuilder;
  readonly node: Node;
  /** The node's forward inputs (`undefined` for omitted optional inputs). */
  readonly inputs: readonly (Value | undefined)[];
  readonly outputs: readonly Value[];
  /** The gradient of the loss with respect to each output; `undefined` means zero. */
  readonly dys: readonly (Value | undefined)[];
  /** Whether input `i` needs a gradient (it depends on a parameter and is floating point). */
  wants(i: number): boolean;
  /**
   * The forward node's outputs, asking it for its optional outputs up to `count` in all (values
   * the forward pass computes anyway, such as LayerNormalization's Mean and InvStdDev).
   */
  savedOutputs(count: number): Value[];
}

/**
 * A vector-Jacobian product: given the gradients of a node's outputs, the gradients of its
 * inputs (`undefined` for inputs that need none), built from standard ONNX ops.
 */
export type GradRule = (c: GradContext) => (Value | undefined)[];
