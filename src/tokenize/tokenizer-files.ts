/**
 * A tokenizer's files in the Hugging Face layout, as `name → text`, with no file system: what
 * `save_pretrained` writes, so Python's `AutoTokenizer.from_pretrained(dir)` and transformers.js
 * load them. Used by `saveTokenizerFiles` (Node) and by the browser's model download.
 */
import type { TokenizerJson, WordTokenizer } from './types.ts';

interface BertNormalizerJson {
  type: 'BertNormalizer';
  lowercase?: boolean;
  strip_accents?: boolean | null;
  handle_chinese_chars?: boolean;
}

function findBertNormalizer(n: unknown): BertNormalizerJson | undefined {
  if (!n || typeof n !== 'object') return undefined;
  const o = n as { type?: string; normalizers?: unknown[] };
  if (o.type === 'BertNormalizer') return o as BertNormalizerJson;
  if (o.type === 'Sequence') for (const c of o.normalizers ?? []) { const f = findBertNormalizer(c); if (f) return f; }
  return undefined;
}

/**
 * `tokenizer.json` (`saved`: the JSON as the tokenizer library serialises it, by default the
 * tokenizer's own), `tokenizer_config.json`, `special_tokens_map.json`, and for WordPiece also
 * `vocab.txt` (one token a line, in id order).
 */
export function tokenizerFiles(tokenizer: Pick<WordTokenizer, 'json' | 'specialTokens' | 'modelMaxLength'>, saved: TokenizerJson = tokenizer.json): Map<string, string> {
  const json = tokenizer.json;
  const files = new Map<string, string>();
  files.set('tokenizer.json', JSON.stringify(saved, null, 2) + '\n');

  const special = tokenizer.specialTokens;
  const specialMap: Record<string, string> = {};
  for (const key of ['cls_token', 'mask_token', 'pad_token', 'sep_token', 'unk_token', 'bos_token', 'eos_token'] as const) {
    const v = special[key];
    if (v !== undefined) specialMap[key] = v;
  }
  const addedDecoder: Record<string, object> = {};
  for (const t of [...(json.added_tokens ?? [])].sort((a, b) => a.id - b.id)) {
    addedDecoder[String(t.id)] = {
      content: t.content,
      lstrip: t.lstrip ?? false,
      normalized: t.normalized ?? false,
      rstrip: t.rstrip ?? false,
      single_word: t.single_word ?? false,
      special: t.special,
    };
  }
  const bert = json.model?.type === 'WordPiece' ? findBertNormalizer(json.normalizer) : undefined;
  const config: Record<string, unknown> = { added_tokens_decoder: addedDecoder, clean_up_tokenization_spaces: true };
  if (bert) {
    config.do_lower_case = bert.lowercase ?? true;
    config.strip_accents = bert.strip_accents ?? null;
    config.tokenize_chinese_chars = bert.handle_chinese_chars ?? true;
  }
  Object.assign(config, specialMap);
  // Unknown: leave it out; transformers then uses its own "no limit" value.
  if (tokenizer.modelMaxLength !== undefined) config.model_max_length = tokenizer.modelMaxLength;
  config.tokenizer_class = bert ? 'BertTokenizer' : 'PreTrainedTokenizerFast';
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(config).sort()) sorted[k] = config[k];
  files.set('tokenizer_config.json', JSON.stringify(sorted, null, 2) + '\n');
  files.set('special_tokens_map.json', JSON.stringify(specialMap, null, 2) + '\n');

  if (json.model?.type === 'WordPiece') {
    const byId: string[] = [];
    for (const [tok, id] of Object.entries(json.model.vocab as Record<string, number>)) byId[id] = tok;
    files.set('vocab.txt', Array.from(byId, (t) => t ?? '').join('\n') + '\n');
  }
  return files;
}
