// The engine's public API: build ONNX graphs in TypeScript, differentiate them, train and run them.
export * from './dtype.ts';
export * from './graph.ts';
export * from './onnx.ts';
export { grad, type GradOptions } from './autodiff/grad.ts';
export * from './layers.ts';
export * from './optim.ts';
export * from './adamw.ts';
export * from './runtime.ts';
export * from './tensor.ts';
