/**
 * Repositories for the fake Hub, generated here (no committed blobs): a tiny BERT token
 * classifier with its tokenizer (optionally with an ONNX export, sharded weights or only
 * `pytorch_model.bin`), NER Parquet files as `datasets` writes them, and a Python-layout cache.
 */
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { syntheticNer } from '../../src/data/synthetic.ts';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import { architectureFor } from '../../src/models/auto.ts';
import { createConfig } from '../../src/models/config.ts';
import { saveTokenClassifier } from '../../src/models/checkpoint.ts';
import { exportOnnx } from '../../src/models/export.ts';
import { writeSafetensors } from '../../src/models/safetensors.ts';
import { saveTokenizerFiles, trainWordPiece } from '../../src/tokenize/index.ts';
import { gitBlobSha1, sha256Hex, type FileContent } from './hub-server.ts';

export const FIXTURE_MODELS = path.join(import.meta.dirname, '..', 'fixtures', 'models');

/** Every file under `dir`, by `/`-separated relative path. */
export function readTree(dir: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p).split(path.sep).join('/')] = fs.readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

export interface TinyModelOptions {
  readonly labels?: readonly string[];
  readonly seed?: number;
  /** Add `onnx/model.onnx` (the export tokentag writes). */
  readonly onnx?: boolean;
  /** `sharded`: model.safetensors.index.json + 2 shards instead of model.safetensors. */
  readonly weights?: 'safetensors' | 'sharded';
}

/**
 * A tiny BERT (hidden 16, 1 layer, 64 positions) with a cased WordPiece tokenizer trained on the
 * synthetic NER corpus, as `org/name` repository files (`config.json`, `model.safetensors`,
 * `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`, `vocab.txt`).
 */
export async function tinyModelFiles(options: TinyModelOptions = {}): Promise<Record<string, Uint8Array>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-tiny-'));
  try {
    const words = syntheticNer({ train: 300, validation: 1, test: 1 }).get('train').column('tokens') as readonly (readonly string[])[];
    const tok = await trainWordPiece(words, { vocabSize: 300, lowercase: false, modelMaxLength: 64 });
    const config = createConfig('bert', {
      vocab_size: tok.vocabSize,
      hidden_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 32,
      max_position_embeddings: 64,
      id2label: options.labels ?? [...CONLL2003_NER],
    });
    const params = architectureFor(config).init(config, options.seed ?? 7);
    saveTokenClassifier(dir, config, params);
    saveTokenizerFiles(tok, dir);
    if (options.onnx) exportOnnx(dir);
    if (options.weights === 'sharded') {
      const names = [...params.keys()];
      const half = Math.ceil(names.length / 2);
      const shards = [names.slice(0, half), names.slice(half)];
      const weightMap: Record<string, string> = {};
      shards.forEach((group, i) => {
        const file = `model-0000${i + 1}-of-00002.safetensors`;
        writeSafetensors(path.join(dir, file), new Map(group.map((n) => [n, params.get(n)!])), { format: 'pt' });
        for (const n of group) weightMap[n] = file;
      });
      fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
      fs.rmSync(path.join(dir, 'model.safetensors'));
    }
    return readTree(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- datasets ----------------------------------------------------------------------------

export interface NerRow {
  readonly tokens: readonly string[];
  readonly ner_tags: readonly number[];
}

/** The features JSON `datasets` 4.x writes (`List`); `v2` gives 2.x's (`Sequence`, `num_classes`). */
export function nerFeatures(names: readonly string[], style: 'v4' | 'v2' = 'v4'): Record<string, unknown> {
  const list = style === 'v4' ? 'List' : 'Sequence';
  const label = style === 'v4' ? { names, _type: 'ClassLabel' } : { num_classes: names.length, names, id: null, _type: 'ClassLabel' };
  return {
    id: { dtype: 'string', _type: 'Value' },
    tokens: { feature: { dtype: 'string', _type: 'Value' }, _type: list },
    ner_tags: { feature: label, _type: list },
  };
}

/**
 * A Parquet file as `datasets` writes one (`id`, `tokens`, `ner_tags` as 3-level LIST columns of
 * string / int64), with the features in the `huggingface` metadata unless `features` is null.
 * `stringTags`: tags as label strings instead of ids.
 */
export function nerParquet(rows: readonly NerRow[], names: readonly string[], opts: { features?: Record<string, unknown> | null; stringTags?: boolean; idOffset?: number } = {}): Uint8Array {
  const features = opts.features === undefined ? nerFeatures(names) : opts.features;
  const tagElement = opts.stringTags ? { type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const } : { type: 'INT64' as const };
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: rows.map((_, i) => String((opts.idOffset ?? 0) + i)) },
      { name: 'tokens', data: rows.map((r) => [...r.tokens]) },
      { name: 'ner_tags', data: rows.map((r) => (opts.stringTags ? r.ner_tags.map((t) => names[t]!) : r.ner_tags.map((t) => BigInt(t)))) },
    ],
    schema: [
      { name: 'schema', num_children: 3 },
      { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'tokens', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'ner_tags', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', ...tagElement, repetition_type: 'OPTIONAL' },
    ],
    kvMetadata: features === null ? [] : [{ key: 'huggingface', value: JSON.stringify({ info: { features } }) }],
  });
  return new Uint8Array(buf);
}

/** Rows of the synthetic NER corpus (its labels are CoNLL-2003's, in the Hub's order). */
export function syntheticRows(split: 'train' | 'validation' | 'test', n: number, seed = 42): NerRow[] {
  const ds = syntheticNer({ seed, train: split === 'train' ? n : 1, validation: split === 'validation' ? n : 1, test: split === 'test' ? n : 1 }).get(split);
  return [...ds].map((r) => ({ tokens: r.tokens, ner_tags: r.ner_tags }));
}

/** A dataset card (README.md) with `configs` and `dataset_info` YAML as the Hub writes it. */
export function datasetCard(opts: { configs?: string; names?: readonly string[]; configName?: string; style?: 'sequence' | 'list' }): string {
  const lines = ['---'];
  if (opts.names) {
    const seq = opts.style === 'list' ? 'list' : 'sequence';
    lines.push('dataset_info:', ...(opts.configName ? [`  config_name: ${opts.configName}`] : []), '  features:', '  - name: id', '    dtype: string', '  - name: tokens', `    ${seq}: string`, '  - name: ner_tags', `    ${seq}:`, '      class_label:', '        names:');
    opts.names.forEach((n, i) => lines.push(`          '${i}': ${n}`));
  }
  if (opts.configs) lines.push(opts.configs.trimEnd());
  lines.push('---', '', '# A test dataset', '');
  return lines.join('\n');
}

// ---- Python's cache ----------------------------------------------------------------------

const PY_CACHEDIR_TAG =
  'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by huggingface_hub.\n# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n';

/**
 * Writes files into `cacheDir` exactly as huggingface_hub 1.33's `hf_hub_download` does (observed
 * with scripts/hub-python-layout.ts against the fake Hub):
 *
 *   CACHEDIR.TAG                                        (191 bytes, the text above)
 *   .locks/models--org--name/<etag>.lock                (empty; left behind after each download)
 *   models--org--name/blobs/<etag>                      etag: sha256 of LFS files, git blob sha1 of others
 *   models--org--name/refs/main                         the 40-character commit, no newline
 *   models--org--name/snapshots/<commit>/<path>         relative symlink ../../blobs/<etag> (one ../ more per folder)
 *
 * `lfs` says which paths the Hub stores in LFS (by default as the fake Hub: weights, ONNX, Parquet).
 */
export function writePythonCache(
  cacheDir: string,
  repo: { type?: 'model' | 'dataset'; id: string; commit: string; revision?: string },
  files: Readonly<Record<string, FileContent>>,
  lfs: (p: string) => boolean = (p) => /\.(safetensors|bin|onnx|parquet)$/.test(p),
): string {
  const folderName = [`${repo.type ?? 'model'}s`, ...repo.id.split('/')].join('--');
  const folder = path.join(cacheDir, folderName);
  fs.mkdirSync(path.join(folder, 'blobs'), { recursive: true });
  fs.mkdirSync(path.join(cacheDir, '.locks', folderName), { recursive: true });
  fs.writeFileSync(path.join(cacheDir, 'CACHEDIR.TAG'), PY_CACHEDIR_TAG);
  for (const [p, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const etag = lfs(p) ? sha256Hex(bytes) : gitBlobSha1(bytes);
    fs.writeFileSync(path.join(folder, 'blobs', etag), bytes);
    fs.writeFileSync(path.join(cacheDir, '.locks', folderName, `${etag}.lock`), '');
    const pointer = path.join(folder, 'snapshots', repo.commit, ...p.split('/'));
    fs.mkdirSync(path.dirname(pointer), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(pointer), path.join(folder, 'blobs', etag)), pointer);
  }
  const ref = path.join(folder, 'refs', ...(repo.revision ?? 'main').split('/'));
  fs.mkdirSync(path.dirname(ref), { recursive: true });
  fs.writeFileSync(ref, repo.commit);
  return folder;
}
