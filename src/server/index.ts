// The HTTP server (`tokentag serve`): the Hugging Face Inference API for token classification.
export { serve, servedModelName, type LogRecord, type ServeOptions, type TokentagServer } from './server.ts';
export { Batcher, type BatchStats, type BatcherOptions, type WindowRunner } from './batcher.ts';
export { parseInferenceRequest, parseJsonBody, type InferenceRequest, type RequestLimits } from './request.ts';
