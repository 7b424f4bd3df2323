/**
 * `pipeline('token-classification', { model })`: loads a model directory or Hub id (config,
 * tokenizer, `onnx/model.onnx` or the weights exported on the fly) and runs it in one or more
 * onnxruntime-node sessions; everything after loading is core.ts, shared with the browser.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TokentagError } from '../errors.ts';
import { serializeModel } from '../engine/onnx.ts';
import { checkExport, exportGraph } from '../models/export.ts';
import { loadTokenClassifier, weightsFileOf } from '../models/checkpoint.ts';
import { readConfig, readConfigJson, type ModelConfig } from '../models/config.ts';
import { checkTokenizerFitsModel, loadTokenizer } from '../tokenize/tokenizer.ts';
import { createRunner, defaultSessions } from './runner.ts';
import { resolveModel } from '../hub/model.ts';
import { PIPELINE_OPTIONS, type PipelineLoadOptions, type PipelineOptions, type PipelineTask, type TokenClassificationPipeline, createTokenClassificationPipeline } from './core.ts';
import { normalizeOptions } from './options.ts';

export * from './core.ts';

function rawConfig(dir: string): Record<string, unknown> {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new TokentagError(`${file}: no such file (a model directory needs config.json)`);
  return readConfigJson(file);
}

/**
 * Creates the pipeline. `task` is `'token-classification'` or its alias `'ner'`; the model is a
 * directory or a Hub id, given second as transformers.js takes it (`pipeline('ner',
 * 'dslim/bert-base-NER', { aggregation_strategy: 'simple' })`) or as `options.model`. Options may
 * be spelled in camelCase or as Python / transformers.js spell them; unknown options are an error.
 */
export async function pipeline(task: PipelineTask, options: PipelineOptions): Promise<TokenClassificationPipeline>;
export async function pipeline(task: PipelineTask, model: string, options?: PipelineLoadOptions): Promise<TokenClassificationPipeline>;
export async function pipeline(task: PipelineTask, modelOrOptions: string | PipelineOptions, loadOptions?: PipelineLoadOptions): Promise<TokenClassificationPipeline> {
  if (task !== 'token-classification' && task !== 'ner') {
    throw new TokentagError(`unsupported task ${JSON.stringify(task)} (supported: token-classification, ner)`);
  }
  let given: unknown = modelOrOptions;
  if (typeof modelOrOptions === 'string') {
    if (loadOptions !== undefined && loadOptions !== null && Object.hasOwn(loadOptions, 'model')) {
      throw new TokentagError(`pipeline: the model is given twice (${JSON.stringify(modelOrOptions)} and options.model); give it once`);
    }
    given = { ...(loadOptions ?? {}), model: modelOrOptions };
  }
  const options = normalizeOptions<PipelineOptions>(given, PIPELINE_OPTIONS, 'pipeline option');
  if (typeof options.model !== 'string') throw new TokentagError('pipeline: a model (a directory or a Hub id) is required: pipeline(task, model) or pipeline(task, { model })');
  const { dir } = await resolveModel(options.model, { ...options.hub, purpose: 'inference' });
  if (!fs.statSync(dir).isDirectory()) throw new TokentagError(`${dir}: not a model directory (a directory with config.json)`);
  const raw = rawConfig(dir);
  if (raw.id2label === undefined || raw.id2label === null || Object.keys(raw.id2label as object).length === 0) {
    throw new TokentagError(`${path.join(dir, 'config.json')}: no id2label — the labels of a token classifier must be in its config (train it with tokentag, or add id2label)`);
  }
  const onnxFile = path.join(dir, 'onnx', 'model.onnx');
  let config: ModelConfig;
  let source: string | Uint8Array;
  // An export is used only while it is the model's: one made from other weights or another
  // config (the directory was trained into since) is passed over for the weights.
  const exportCheck = fs.existsSync(onnxFile) ? checkExport(dir, onnxFile) : null;
  if (exportCheck?.status === 'stale') {
    if (weightsFileOf(dir) === null) throw new TokentagError(`${onnxFile} ${exportCheck.reason}, and ${dir} has no weights to run instead; export the model again`);
    (options.onWarning ?? ((m: string) => process.emitWarning(m, 'TokentagWarning')))(
      `${onnxFile} ${exportCheck.reason}: running the weights in ${path.basename(weightsFileOf(dir)!)} instead (export again with \`tokentag export onnx --model ${dir}\`)`,
    );
  }
  if (exportCheck !== null && exportCheck.status !== 'stale') {
    config = readConfig(path.join(dir, 'config.json'));
    source = onnxFile;
  } else {
    const loaded = loadTokenClassifier(dir);
    config = loaded.config;
    source = serializeModel(exportGraph(config, loaded.params)).model;
  }
  const tok = await loadTokenizer(dir, options.addPrefixSpace !== undefined ? { addPrefixSpace: options.addPrefixSpace } : {});
  checkTokenizerFitsModel(tok, config.vocabSize, dir);
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TokentagError(`batchSize must be a positive integer, got ${batchSize}`);
  const runner = await createRunner(source, {
    sessions: options.sessions ?? defaultSessions(),
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  });
  try {
    return createTokenClassificationPipeline({ config, tokenizer: tok, runner, options });
  } catch (e) {
    await runner.dispose();
    throw e;
  }
}
