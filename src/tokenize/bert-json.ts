/**
 * BERT tokenizer files as plain data, with no tokenizer library: `vocab.txt` parsing, the
 * `tokenizer.json` that Hugging Face's `BertConverter` builds from a vocabulary, and the special
 * tokens of a `tokenizer.json`. Shared by the Node tokenizer (tokenizer.ts, which hands the JSON
 * to the Rust library) and the browser's TypeScript WordPiece (wordpiece.ts).
 */
import { TokentagError } from '../errors.ts';
import type { SpecialTokensMap, TokenizerConfig, TokenizerJson } from './types.ts';

export const BERT_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Parses `vocab.txt`: one token a line, the id is the line number (a repeated token keeps its last id, as HF's `load_vocab`). */
export function parseVocabTxt(text: string): Record<string, number> {
  const vocab: Record<string, number> = Object.create(null);
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    vocab[line.endsWith('\r') ? line.slice(0, -1) : line] = i;
  });
  return vocab;
}

export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new TokentagError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A special token's text from `tokenizer_config.json` / `special_tokens_map.json` (a string or `{ content }`). */
export function tokenName(v: string | { content: string } | undefined, fallback: string): string {
  if (v === undefined || v === null) return fallback;
  return typeof v === 'string' ? v : v.content;
}

/** The special tokens by role, guessed from a `tokenizer.json`'s model and added tokens. */
export function specialTokensFromJson(json: TokenizerJson): SpecialTokensMap {
  const special = new Set((json.added_tokens ?? []).filter((t) => t.special).map((t) => t.content));
  const pick = (...names: string[]): string | undefined => names.find((n) => special.has(n));
  const map: SpecialTokensMap = {};
  const unk = json.model?.unk_token ?? pick('[UNK]', '<unk>');
  if (unk !== undefined) map.unk_token = unk;
  const entries: [keyof SpecialTokensMap, string | undefined][] = [
    ['pad_token', pick('[PAD]', '<pad>')],
    ['cls_token', pick('[CLS]', '<s>')],
    ['sep_token', pick('[SEP]', '</s>')],
    ['mask_token', pick('[MASK]', '<mask>')],
  ];
  for (const [k, v] of entries) if (v !== undefined) map[k] = v;
  return map;
}

/** The special tokens of a `special_tokens_map.json` (values are strings or `{ content }`). */
export function specialTokensFromMap(map: Readonly<Record<string, unknown>>): SpecialTokensMap {
  const st: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) if (typeof v === 'string' || (v && typeof v === 'object' && 'content' in v)) st[k] = tokenName(v as string | { content: string }, '');
  return st as SpecialTokensMap;
}

/** The special tokens of a BERT `tokenizer_config.json` (HF's defaults where it names none). */
export function bertSpecialTokens(config: TokenizerConfig): Required<Pick<SpecialTokensMap, 'unk_token' | 'sep_token' | 'pad_token' | 'cls_token' | 'mask_token'>> {
  return {
    unk_token: tokenName(config.unk_token, '[UNK]'),
    sep_token: tokenName(config.sep_token, '[SEP]'),
    pad_token: tokenName(config.pad_token, '[PAD]'),
    cls_token: tokenName(config.cls_token, '[CLS]'),
    mask_token: tokenName(config.mask_token, '[MASK]'),
  };
}

/**
 * The `tokenizer.json` of a BERT vocabulary, as transformers' `BertConverter` builds it (and as
 * the `tokenizers` library then saves it): BertNormalizer (`clean_text`, `handle_chinese_chars =
 * tokenize_chinese_chars`, `strip_accents` — unset means "same as lowercase" — and `lowercase =
 * do_lower_case`, default true), BertPreTokenizer, WordPiece with `##`, the template
 * `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B:1 [SEP]:1`, the WordPiece decoder, and the special
 * tokens that are in the vocabulary registered as special added tokens.
 */
export function bertTokenizerJson(vocab: Readonly<Record<string, number>>, config: TokenizerConfig = {}): TokenizerJson {
  const lowercase = config.do_lower_case ?? true;
  const special = bertSpecialTokens(config);
  const { cls_token: cls, sep_token: sep } = special;
  for (const [role, tok] of [['cls_token', cls], ['sep_token', sep]] as const) {
    if (vocab[tok] === undefined) throw new TokentagError(`vocab.txt has no ${role} ${JSON.stringify(tok)}`);
  }
  const added = [special.pad_token, special.unk_token, cls, sep, special.mask_token]
    .filter((t, i, all) => vocab[t] !== undefined && all.indexOf(t) === i)
    .map((content) => ({ id: vocab[content]!, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
    .sort((a, b) => a.id - b.id);
  const byId = Object.entries(vocab).sort((a, b) => a[1] - b[1]);
  const specialToken = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars ?? true,
      strip_accents: config.strip_accents ?? lowercase,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [specialToken(cls, 0), { Sequence: { id: 'A', type_id: 0 } }, specialToken(sep, 0)],
      pair: [specialToken(cls, 0), { Sequence: { id: 'A', type_id: 0 } }, specialToken(sep, 0), { Sequence: { id: 'B', type_id: 1 } }, specialToken(sep, 1)],
      special_tokens: {
        [cls]: { id: cls, ids: [vocab[cls]!], tokens: [cls] },
        [sep]: { id: sep, ids: [vocab[sep]!], tokens: [sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: special.unk_token,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(byId),
    },
  };
}
