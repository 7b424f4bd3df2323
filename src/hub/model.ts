/**
 * Models by Hub id: `resolveModel('dslim/bert-base-NER')` gives a local directory with what
 * tokentag needs of the repository — and nothing else — in Python's cache:
 *
 * - `config.json`;
 * - the tokenizer: `tokenizer.json`, else a BERT `vocab.txt` (+ `tokenizer_config.json` and
 *   `special_tokens_map.json` when present). Slow tokenizers alone (`vocab.json` + `merges.txt`,
 *   SentencePiece models) are not read: the error says so and how to get a `tokenizer.json`;
 * - the weights: for inference `onnx/model.onnx` when the repo has one (with its external data),
 *   else, and for training, `model.safetensors`, a sharded `model.safetensors.index.json` and its
 *   shards, `pytorch_model.bin` (read without running pickle), or a sharded `.bin` index.
 *
 * A directory that exists is used as it is: a local path always wins over a Hub id.
 */
import { existsSync } from 'node:fs';
import { TokentagError } from '../errors.ts';
import { loadTokenClassifier as loadFromDir, type LoadOptions, type LoadedTokenClassifier } from '../models/checkpoint.ts';
import { parseRepoRef } from './repo-id.ts';
import { hubSettings, type HubOptions } from './settings.ts';
import { MissingFiles, snapshot, type Choice, type Chooser } from './snapshot.ts';

/** `inference`: ONNX preferred (predict, the pipeline); `weights`: checkpoint weights (train, evaluate, export). */
export type ModelPurpose = 'inference' | 'weights';

export type WeightsKind = 'onnx' | 'safetensors' | 'sharded-safetensors' | 'pytorch' | 'sharded-pytorch';

export interface ModelChoice extends Choice {
  readonly weights: WeightsKind;
  readonly tokenizer: 'tokenizer.json' | 'vocab.txt';
}

export interface ResolveModelOptions extends HubOptions {
  /** Default `inference`. */
  readonly purpose?: ModelPurpose;
  /** Ask the Hub for the branch's current commit even when the cache has the model. */
  readonly refresh?: boolean;
}

export interface ResolvedModelSource {
  /** A directory with config.json, the tokenizer and the weights: the path itself, or the cache snapshot. */
  readonly dir: string;
  readonly source: 'local' | 'hub';
  /** For Hub models: the repo id as given, the revision asked for, the commit it resolved to. */
  readonly id?: string;
  readonly revision?: string;
  readonly commit?: string;
  /** The files fetched or found (Hub models). */
  readonly files: readonly string[];
  readonly weights?: WeightsKind;
  /** True when no request was made. */
  readonly fromCache: boolean;
}

export const MODEL_NEEDS = 'config.json, a tokenizer (tokenizer.json or vocab.txt) and weights (model.safetensors, a sharded index, pytorch_model.bin, or onnx/model.onnx for prediction)';

const SLOW_TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'sentencepiece.bpe.model', 'spiece.model', 'tokenizer.model'];

/** The shards a `*.index.json` names, each checked to be a file of the revision. */
async function shardsOf(index: string, listing: ReadonlySet<string>, read: (p: string) => Promise<string>): Promise<string[]> {
  let map: unknown;
  try {
    map = (JSON.parse(await read(index)) as { weight_map?: unknown }).weight_map;
  } catch (e) {
    if (e instanceof MissingFiles) throw e;
    throw new TokentagError(`${index}: not a valid index (${(e as Error).message})`);
  }
  if (typeof map !== 'object' || map === null) throw new TokentagError(`${index}: no "weight_map"`);
  const shards = [...new Set(Object.values(map as Record<string, unknown>).map(String))].sort();
  for (const s of shards) if (!listing.has(s)) throw new MissingFiles(`${s} (a shard ${index} names)`);
  return shards;
}

export function modelChooser(purpose: ModelPurpose): Chooser<ModelChoice> {
  return async (listing, read) => {
    const has = (f: string) => listing.has(f);
    if (!has('config.json')) throw new MissingFiles('config.json');
    const files = ['config.json'];
    let tokenizer: ModelChoice['tokenizer'];
    if (has('tokenizer.json')) tokenizer = 'tokenizer.json';
    else if (has('vocab.txt')) tokenizer = 'vocab.txt';
    else {
      const slow = SLOW_TOKENIZER_FILES.filter(has);
      throw new MissingFiles(
        'tokenizer.json or vocab.txt' +
          (slow.length > 0
            ? ` (it has ${slow.join(', ')}: a slow tokenizer, which tokentag does not read; in Python, AutoTokenizer.from_pretrained(id).save_pretrained(dir) writes a tokenizer.json)`
            : ''),
      );
    }
    files.push(tokenizer);
    for (const f of ['tokenizer_config.json', 'special_tokens_map.json']) if (has(f)) files.push(f);

    let weights: WeightsKind;
    if (purpose === 'inference' && has('onnx/model.onnx')) {
      weights = 'onnx';
      files.push('onnx/model.onnx', ...[...listing].filter((f) => f.startsWith('onnx/model.onnx_data')).sort());
    } else if (has('model.safetensors')) {
      weights = 'safetensors';
      files.push('model.safetensors');
    } else if (has('model.safetensors.index.json')) {
      weights = 'sharded-safetensors';
      files.push('model.safetensors.index.json', ...(await shardsOf('model.safetensors.index.json', listing, read)));
    } else if (has('pytorch_model.bin')) {
      weights = 'pytorch';
      files.push('pytorch_model.bin');
    } else if (has('pytorch_model.bin.index.json')) {
      weights = 'sharded-pytorch';
      files.push('pytorch_model.bin.index.json', ...(await shardsOf('pytorch_model.bin.index.json', listing, read)));
    } else {
      const other = ['tf_model.h5', 'flax_model.msgpack', 'model.onnx'].filter(has);
      throw new MissingFiles(
        `weights tokentag reads (model.safetensors, model.safetensors.index.json, pytorch_model.bin${purpose === 'inference' ? ', onnx/model.onnx' : ''})` +
          (other.length > 0 ? `; it has ${other.join(', ')}, which tokentag does not read here` : ''),
      );
    }
    return { files, weights, tokenizer };
  };
}

/**
 * A model directory from a local path or a Hub id (`org/name`, `name`, `org/name@revision`). Hub
 * models come from Python's cache when it has them (no request), else are downloaded into it.
 */
export async function resolveModel(spec: string, options: ResolveModelOptions = {}): Promise<ResolvedModelSource> {
  if (typeof spec !== 'string' || spec === '') throw new TokentagError('a model is a directory or a Hugging Face Hub id, got an empty name');
  if (existsSync(spec)) return { dir: spec, source: 'local', files: [], fromCache: true };
  const ref = parseRepoRef(spec, 'model');
  if (!ref) throw new TokentagError(`${spec}: no such model directory, and not a Hugging Face Hub id (name, org/name, or org/name@revision)`);
  const snap = await snapshot(ref, hubSettings(options), modelChooser(options.purpose ?? 'inference'), { needs: MODEL_NEEDS, spec, refresh: options.refresh ?? false });
  return {
    dir: snap.dir,
    source: 'hub',
    id: ref.id,
    revision: ref.revision,
    commit: snap.commit,
    files: snap.choice.files,
    weights: snap.choice.weights,
    fromCache: snap.fromCache,
  };
}

/**
 * `loadTokenClassifier` for a directory or a Hub id: the weights (never the ONNX export) and the
 * config, mapped onto the architecture's parameters. See models/checkpoint.ts for the options.
 */
export async function loadTokenClassifier(spec: string, options: LoadOptions & ResolveModelOptions = {}): Promise<LoadedTokenClassifier & { readonly dir: string }> {
  const { dir } = await resolveModel(spec, { ...options, purpose: 'weights' });
  return { ...loadFromDir(dir, options), dir };
}
