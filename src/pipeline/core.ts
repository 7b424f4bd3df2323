/**
 * The `token-classification` (alias `ner`) pipeline: Hugging Face's TokenClassificationPipeline
 * over a loaded model (a runner, its config and its tokenizer), in Node and in a browser;
 * pipeline.ts loads a model directory or Hub id into these parts.
 *
 *   text(s) → tokenizer (offsets, UTF-16) → windows (never truncated) → padded batches → ONNX
 *   Runtime → softmax → postprocess (aggregate.ts) → merge windows
 *
 * Pre-split words (`isSplitIntoWords`) give one label and score per word plus entity spans over
 * the words.
 */
import { TokentagError } from '../errors.ts';
import { maxSequenceLength, type ModelConfig } from '../models/config.ts';
import { encodeWords } from '../tokenize/encode.ts';
import type { FastTokenizer } from '../tokenize/tokenizer.ts';
import type { WordTokenizer } from '../tokenize/types.ts';
import { collate } from '../train/batching.ts';
import { aggregateOverlappingEntities, postprocess, softmax } from './aggregate.ts';
import { planBatches } from './batch-plan.ts';
import type { ModelRunner, RunnerTensor } from './session-runner.ts';
import { bioViterbi } from './viterbi.ts';
import type { HubOptions } from '../hub/settings.ts';
import type {
  AggregateOptions,
  AggregationStrategy,
  ViterbiScheme,
  GroupedEntity,
  TokenEntity,
  TokenizedPrediction,
  TokenizerFacts,
} from './types.ts';
import { parseStrategy } from './types.ts';
import { normalizeOptions } from './options.ts';
import { buildWindows, defaultStride, responsibleWindows, tokenizeTexts, windowStarts, type TextWindow } from './text.ts';

export type PipelineTask = 'token-classification' | 'ner';

export interface PipelineOptions {
  /**
   * A model directory — `config.json` (with `id2label`), weights or `onnx/model.onnx`, and a
   * tokenizer — or a Hugging Face Hub id (`dslim/bert-base-NER`, `org/name@revision`), taken from
   * Python's cache or downloaded into it (its `onnx/model.onnx` when it has one).
   */
  model: string;
  /** How to reach the Hub for a model id (default: the environment: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, …). */
  hub?: HubOptions;
  /** Default `'none'` (as Hugging Face). */
  aggregationStrategy?: AggregationStrategy;
  /** Default `['O']`. Applied after grouping (as Hugging Face): list entity types, e.g. `['O', 'MISC']`. */
  ignoreLabels?: readonly string[];
  /** Overlap in tokens between windows of a long text. Default `min(128, ⌊room / 2⌋)`. */
  stride?: number;
  /**
   * At most this many windows per ONNX Runtime run. Default 32. Within that, each call's windows
   * are sorted by length and grouped so that padding plus the per-run cost is least (see
   * batch-plan.ts).
   */
  batchSize?: number;
  /**
   * ONNX Runtime sessions running batches side by side: one on the calling thread, the others
   * in worker threads (each holds its own copy of the model). Default 2 on a machine with two
   * cores or more, else 1.
   */
  sessions?: number;
  /**
   * Constrained decoding (Viterbi over log-probabilities): no `I-X` after `O` or after another
   * type (IOB2; IOBES when the labels have `E-`/`S-`). Per token for none/simple, per word for
   * first/average/max and for pre-split words.
   */
  bioConstrained?: boolean;
  /** Override the model's maximum length in tokens (special tokens included); never above the model's. */
  maxLength?: number;
  /**
   * Byte-level BPE tokenizers (RoBERTa): give the first word of a text its prefix space too, as
   * every word had when tokentag trained on pre-split words. Default `true`; `false` keeps the
   * tokenizer file's setting (roberta-base ships `false`), as Python's pipeline does.
   */
  addPrefixSpace?: boolean;
  /** ONNX Runtime intra-op threads per session (default: the cores divided among the sessions; ONNX Runtime's own for one session). */
  intraOpNumThreads?: number;
  // The same options as Python's pipeline and transformers.js spell them; both spellings of one option must agree.
  aggregation_strategy?: AggregationStrategy | Uppercase<AggregationStrategy>;
  ignore_labels?: readonly string[];
  batch_size?: number;
  bio_constrained?: boolean;
  max_length?: number;
  add_prefix_space?: boolean;
  intra_op_num_threads?: number;
  /**
   * Told what the pipeline did differently from what the directory suggests (e.g. a stale
   * `onnx/model.onnx` passed over for the weights). Default: `process.emitWarning`.
   */
  onWarning?: (message: string) => void;
}

/** The options of `pipeline(task, modelDir, options)`: everything but the model. */
export type PipelineLoadOptions = Omit<PipelineOptions, 'model'>;

export const PIPELINE_OPTIONS = ['model', 'hub', 'aggregationStrategy', 'ignoreLabels', 'stride', 'batchSize', 'sessions', 'bioConstrained', 'maxLength', 'addPrefixSpace', 'intraOpNumThreads', 'onWarning'];
const CALL_OPTIONS = ['isSplitIntoWords', 'aggregationStrategy', 'ignoreLabels', 'bioConstrained', 'stride'];

export interface CallOptions {
  /** The input is pre-split words: one sentence (`string[]`) or a batch (`string[][]`). */
  isSplitIntoWords?: boolean;
  aggregationStrategy?: AggregationStrategy;
  ignoreLabels?: readonly string[];
  bioConstrained?: boolean;
  /** Overlap in tokens between windows of a long input, for this call (default: the pipeline's). */
  stride?: number;
  // Python's spellings.
  is_split_into_words?: boolean;
  aggregation_strategy?: AggregationStrategy | Uppercase<AggregationStrategy>;
  ignore_labels?: readonly string[];
  bio_constrained?: boolean;
}

/** What the model runner needs of one window: token ids and token type ids, special tokens included. */
export interface ModelWindow {
  readonly inputIds: readonly number[];
  readonly typeIds: readonly number[];
}

/**
 * A call made ready for the model: its windows, and what turns their probabilities into the
 * call's predictions. `predictTexts` / `predictWords` are `prepare…` → `runWindows` → `results`;
 * the HTTP server gathers the windows of several calls into one `runWindows` (dynamic batching).
 */
export interface PreparedCall<R> {
  readonly windows: readonly ModelWindow[];
  /**
   * Takes window `k`'s per-token probabilities, as soon as its run is back (texts whose windows
   * are all in are post-processed at once). A window delivered twice keeps its first delivery.
   */
  accept(k: number, probs: Float32Array[]): void;
  /** The call's predictions, in input order; every window must have been accepted. */
  results(): R[];
}

/** Pre-split input, in either spelling. */
type SplitWords = { isSplitIntoWords: true } | { is_split_into_words: true };

/** An entity over pre-split words: offsets in the words joined with spaces, `wordEnd` exclusive. */
export interface WordEntity extends GroupedEntity {
  wordStart: number;
  wordEnd: number;
}

/** The prediction for one pre-split sentence. */
export interface WordPrediction {
  words: string[];
  /** One label per word (a word that tokenizes to nothing gets `O`, or label 0, with score 0). */
  labels: string[];
  scores: number[];
  entities: WordEntity[];
}

export type TextPrediction = TokenEntity[] | GroupedEntity[];

export interface TokenClassificationPipeline<T extends WordTokenizer = FastTokenizer> {
  (sentences: readonly (readonly string[])[], options: CallOptions & SplitWords): Promise<WordPrediction[]>;
  (words: readonly string[], options: CallOptions & SplitWords): Promise<WordPrediction>;
  (text: string, options?: CallOptions): Promise<TextPrediction>;
  (texts: readonly string[], options?: CallOptions): Promise<TextPrediction[]>;
  readonly task: 'token-classification';
  readonly id2label: readonly string[];
  /** Tokens per window, special tokens included. */
  readonly maxLength: number;
  readonly tokenizer: T;
  readonly config: ModelConfig;
  /** ONNX Runtime sessions running batches side by side (how many runs overlap). */
  readonly sessions: number;
  /** The raw-text API (what the callable uses). */
  predictTexts(texts: readonly string[], options?: CallOptions): Promise<TextPrediction[]>;
  predictWords(sentences: readonly (readonly string[])[], options?: CallOptions): Promise<WordPrediction[]>;
  /** Tokenizes texts into windows; `runWindows` then fills the result (see {@link PreparedCall}). */
  prepareTexts(texts: readonly string[], options?: CallOptions): Promise<PreparedCall<TextPrediction>>;
  prepareWords(sentences: readonly (readonly string[])[], options?: CallOptions): Promise<PreparedCall<WordPrediction>>;
  /**
   * Runs windows (of one call or of several) through the model: groups them into runs by cost
   * (batch-plan.ts), runs those on the sessions, and hands each window's probabilities to
   * `onDone` as soon as its run is back. Rejects if a run fails.
   */
  runWindows(windows: readonly ModelWindow[], onDone: (k: number, probs: Float32Array[]) => void): Promise<void>;
  dispose(): Promise<void>;
}

/** The facts postprocess needs from the tokenizer. */
export function tokenizerFacts(tok: WordTokenizer): TokenizerFacts {
  const model = (tok.json as { model?: { unk_token?: unknown; continuing_subword_prefix?: unknown } }).model ?? {};
  const unk = typeof model.unk_token === 'string' ? tok.tokenToId(model.unk_token) : undefined;
  const prefix = typeof model.continuing_subword_prefix === 'string' && model.continuing_subword_prefix !== '' ? model.continuing_subword_prefix : undefined;
  return {
    unkTokenId: unk ?? (tok.specialTokens.unk_token !== undefined ? tok.tokenToId(tok.specialTokens.unk_token) : undefined),
    continuingSubwordPrefix: prefix,
    tokensToString: (tokens) => tok.tokensToString(tokens),
  };
}

function padIdOf(tok: WordTokenizer, config: ModelConfig): number {
  const p = tok.specialTokens.pad_token;
  const id = p !== undefined ? tok.tokenToId(p) : undefined;
  return id ?? (config as { padTokenId?: number }).padTokenId ?? 0;
}

/** What the pipeline is made of once its files are loaded (see `pipeline` in pipeline.ts for loading). */
export interface PipelineParts<T extends WordTokenizer = WordTokenizer> {
  readonly config: ModelConfig;
  readonly tokenizer: T;
  /** Runs the inference graph (session-runner.ts; several sessions side by side: runner.ts). */
  readonly runner: ModelRunner;
  readonly options?: Omit<PipelineOptions, 'model' | 'hub' | 'sessions' | 'intraOpNumThreads' | 'addPrefixSpace' | 'onWarning'>;
}

/**
 * The token-classification pipeline over loaded parts: a model runner, its config and its
 * tokenizer. Everything after loading happens here, in Node and in a browser alike.
 */
export function createTokenClassificationPipeline<T extends WordTokenizer>(parts: PipelineParts<T>): TokenClassificationPipeline<T> {
  const { config, runner } = parts;
  const tok = parts.tokenizer;
  const options = parts.options ?? {};
  const defaults = {
    strategy: parseStrategy(options.aggregationStrategy ?? 'none'),
    ignoreLabels: options.ignoreLabels ?? ['O'],
    bio: options.bioConstrained ?? false,
  };
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TokentagError(`batchSize must be a positive integer, got ${batchSize}`);
  const id2label = config.id2label;
  const numLabels = id2label.length;
  const modelMax = Math.min(maxSequenceLength(config), tok.modelMaxLength ?? Infinity);
  const maxLength = options.maxLength !== undefined ? Math.min(options.maxLength, modelMax) : modelMax;
  const room = maxLength - tok.numSpecialTokens;
  if (room < 1) throw new TokentagError(`maxLength ${maxLength} leaves no room for tokens after ${tok.numSpecialTokens} special tokens`);
  const stride = options.stride ?? defaultStride(room);
  windowStarts(0, room, stride); // validates stride
  const facts = tokenizerFacts(tok);
  const padId = padIdOf(tok, config);
  const scheme: ViterbiScheme = id2label.some((l) => /^[ES]-/.test(l)) ? 'IOBES' : 'IOB2';

  const feedTypes = runner.inputNames.includes('token_type_ids');

  async function runWindows(inputs: readonly ModelWindow[], onDone: (k: number, probs: Float32Array[]) => void): Promise<void> {
    const plan = planBatches(inputs.map((x) => x.inputIds.length), { maxRows: batchSize, lanes: runner.lanes });
    await Promise.all(
      plan.map(async (idx) => {
        const batch = collate(
          idx.map((k) => ({ inputIds: inputs[k]!.inputIds, ...(feedTypes ? { tokenTypeIds: inputs[k]!.typeIds } : {}) })),
          { padTokenId: padId },
        );
        const [B, L] = batch.input_ids.dims as [number, number];
        const feeds: Record<string, RunnerTensor> = {
          input_ids: { type: 'int64', data: batch.input_ids.data, dims: [B, L] },
          attention_mask: { type: 'int64', data: batch.attention_mask.data, dims: [B, L] },
        };
        if (batch.token_type_ids) feeds.token_type_ids = { type: 'int64', data: batch.token_type_ids.data, dims: [B, L] };
        const result = await runner.run(feeds);
        const logits = result.logits!.data as Float32Array;
        idx.forEach((k, r) => {
          const n = inputs[k]!.inputIds.length;
          onDone(k, softmax(logits.subarray(r * L * numLabels, (r * L + n) * numLabels), numLabels));
        });
      }),
    );
  }

  /** prepare → run → results: one call on its own. */
  async function complete<R>(prepared: PreparedCall<R>): Promise<R[]> {
    await runWindows(prepared.windows, prepared.accept);
    return prepared.results();
  }

  function resolve(given: CallOptions | undefined) {
    const o = normalizeOptions<CallOptions>(given, CALL_OPTIONS, 'call option');
    if (o.stride !== undefined) windowStarts(0, room, o.stride); // validates it
    return {
      strategy: o.aggregationStrategy !== undefined ? parseStrategy(o.aggregationStrategy) : defaults.strategy,
      ignoreLabels: o.ignoreLabels ?? defaults.ignoreLabels,
      bio: o.bioConstrained ?? defaults.bio,
      stride: o.stride ?? stride,
      isSplitIntoWords: o.isSplitIntoWords ?? false,
    };
  }

  async function prepareTexts(texts: readonly string[], o?: CallOptions): Promise<PreparedCall<TextPrediction>> {
    const { strategy, ignoreLabels, bio, stride } = resolve(o);
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new TokentagError(`text ${i} is not a string (got ${t === null ? 'null' : typeof t}); pre-split words need { isSplitIntoWords: true }`);
    });
    const tokenized = await tokenizeTexts(tok, texts);
    const windows = buildWindows(tok, tokenized, maxLength, stride);
    const nonEmpty = windows.filter((w) => w.specialTokensMask.includes(0));
    const byText: TextWindow[][] = texts.map(() => []);
    for (const w of windows) byText[w.textIndex]!.push(w);
    const aggOpts: AggregateOptions = { strategy, ignoreLabels, viterbi: bio ? scheme : false };
    // A text without tokens has only empty windows and predicts nothing; every other text is
    // post-processed as soon as its last window is back, while the model runs the rest.
    const results: TextPrediction[] = texts.map(() => []);
    const probsOf = new Map<TextWindow, Float32Array[]>();
    const waiting = new Array<number>(texts.length).fill(0);
    for (const w of nonEmpty) waiting[w.textIndex]!++;
    let missing = nonEmpty.length;
    return {
      windows: nonEmpty,
      accept(k, probs) {
        const w = nonEmpty[k]!;
        if (probsOf.has(w)) return;
        probsOf.set(w, probs);
        missing--;
        if (--waiting[w.textIndex]! === 0) results[w.textIndex] = predictText(w.textIndex);
      },
      results() {
        if (missing > 0) throw new TokentagError(`internal: ${missing} window(s) of the call were never run`);
        return results;
      },
    };

    function predictText(ti: number): TextPrediction {
      const ws = byText[ti]!;
      const text = texts[ti]!;
      const pred = (w: TextWindow, p: Float32Array[]): TokenizedPrediction => ({
        text, inputIds: w.inputIds, tokens: w.tokens, offsets: w.offsets, specialTokensMask: w.specialTokensMask, probs: p,
      });
      if (ws.length === 1) return postprocess(pred(ws[0]!, probsOf.get(ws[0]!)!), id2label, facts, aggOpts);
      if (strategy === 'none') return postprocess(stitch(text, ws, tokenized[ti]!.ids.length), id2label, facts, aggOpts);
      // As Hugging Face: each window post-processed on its own, overlapping entities resolved.
      const all: GroupedEntity[] = [];
      for (const w of ws) all.push(...(postprocess(pred(w, probsOf.get(w)!), id2label, facts, aggOpts) as GroupedEntity[]));
      return aggregateOverlappingEntities(all);
    }

    /**
     * Strategy none over several windows (Hugging Face refuses it): one prediction for the whole
     * text, each token scored by the window where it has the most context on both sides; `index`
     * is the token's position as if the whole text were one sequence.
     */
    function stitch(text: string, ws: readonly TextWindow[], n: number): TokenizedPrediction {
      const pre = tok.template.prefixIds.length;
      const owner = responsibleWindows(n, ws.map((w) => w.tokenStart), room);
      const first = ws[0]!;
      const last = ws[ws.length - 1]!;
      const inputIds = [...first.inputIds.slice(0, pre)];
      const tokens = [...first.tokens.slice(0, pre)];
      const offsets = [...first.offsets.slice(0, pre)];
      const mask = [...first.specialTokensMask.slice(0, pre)];
      const p = [...probsOf.get(first)!.slice(0, pre)];
      for (let i = 0; i < n; i++) {
        const w = ws[owner[i]!]!;
        const j = pre + i - w.tokenStart;
        inputIds.push(w.inputIds[j]!);
        tokens.push(w.tokens[j]!);
        offsets.push(w.offsets[j]!);
        mask.push(0);
        p.push(probsOf.get(w)![j]!);
      }
      const tail = last.inputIds.length - (pre + Math.min(room, n - last.tokenStart));
      const from = last.inputIds.length - tail;
      inputIds.push(...last.inputIds.slice(from));
      tokens.push(...last.tokens.slice(from));
      offsets.push(...last.offsets.slice(from));
      mask.push(...last.specialTokensMask.slice(from));
      p.push(...probsOf.get(last)!.slice(from));
      return { text, inputIds, tokens, offsets, specialTokensMask: mask, probs: p };
    }
  }

  async function prepareWords(sentences: readonly (readonly string[])[], o?: CallOptions): Promise<PreparedCall<WordPrediction>> {
    const { strategy, ignoreLabels, bio, stride } = resolve(o);
    sentences.forEach((s, i) => {
      if (!Array.isArray(s)) throw new TokentagError(`sentence ${i} is not an array of words`);
      s.forEach((w, j) => {
        if (typeof w !== 'string') throw new TokentagError(`sentence ${i}, word ${j} is not a string (got ${typeof w})`);
      });
    });
    const encs = await encodeWords(tok, sentences, { maxLength, stride: Math.min(stride, Math.floor(room / 2)) });
    const probs: (Float32Array[] | undefined)[] = new Array(encs.length);
    let missing = encs.length;
    return {
      windows: encs,
      accept(k, p) {
        if (probs[k] !== undefined) return;
        probs[k] = p;
        missing--;
      },
      results() {
        if (missing > 0) throw new TokentagError(`internal: ${missing} window(s) of the call were never run`);
        return wordResults(probs as Float32Array[][]);
      },
    };

    function wordResults(probs: readonly Float32Array[][]): WordPrediction[] {
      const fallback = id2label.includes('O') ? id2label.indexOf('O') : 0;
      const perWord: (Float32Array | null)[][] = sentences.map((s) => s.map(() => null));
      encs.forEach((e, k) => {
        const { scoreStart, scoreEnd } = e.window;
        const rows = new Map<number, number[]>();
        e.wordIds.forEach((w, t) => {
          if (w === null || e.specialTokensMask[t] || w < scoreStart || w >= scoreEnd) return;
          const r = rows.get(w);
          if (r) r.push(t);
          else rows.set(w, [t]);
        });
        for (const [w, ts] of rows) perWord[e.sentence]![w] = wordDistribution(ts.map((t) => probs[k]![t]!), strategy);
      });
      return sentences.map((words, s) => {
        const dists = perWord[s]!;
        let labels: number[];
        let scores: number[];
        const present = dists.flatMap((d, i) => (d ? [i] : []));
        if (bio && present.length > 0) {
          const path = bioViterbi(present.map((i) => Array.from(dists[i]!, (p) => Math.log(p))), id2label, scheme);
          labels = dists.map(() => fallback);
          scores = dists.map(() => 0);
          present.forEach((i, k) => { labels[i] = path[k]!; scores[i] = dists[i]![path[k]!]!; });
        } else {
          labels = dists.map((d) => (d ? argmax(d) : fallback));
          scores = dists.map((d, i) => (d ? d[labels[i]!]! : 0));
        }
        const names = labels.map((l) => id2label[l]!);
        return { words: [...words], labels: names, scores, entities: groupWords(words, names, scores, ignoreLabels) };
      });
    }
  }

  async function predictTexts(texts: readonly string[], o?: CallOptions): Promise<TextPrediction[]> {
    return complete(await prepareTexts(texts, o));
  }

  async function predictWords(sentences: readonly (readonly string[])[], o?: CallOptions): Promise<WordPrediction[]> {
    return complete(await prepareWords(sentences, o));
  }

  const call = async (input: unknown, o?: CallOptions): Promise<unknown> => {
    if (resolve(o).isSplitIntoWords) {
      if (!Array.isArray(input)) throw new TokentagError('isSplitIntoWords: the input must be an array of words or an array of such arrays');
      if (input.length === 0) throw new TokentagError('isSplitIntoWords: empty input (give at least one sentence)');
      const batch = input.every((x) => Array.isArray(x));
      if (!batch && !input.every((x) => typeof x === 'string')) throw new TokentagError('isSplitIntoWords: the input must be string[] (one sentence) or string[][] (a batch), not a mix');
      const r = await predictWords(batch ? (input as string[][]) : [input as string[]], o);
      return batch ? r : r[0];
    }
    if (typeof input === 'string') return (await predictTexts([input], o))[0];
    if (Array.isArray(input)) {
      if (input.length === 0) throw new TokentagError('empty batch: give a text or a non-empty array of texts');
      return predictTexts(input as string[], o);
    }
    throw new TokentagError(`the input must be a string or an array of strings, got ${input === null ? 'null' : typeof input}`);
  };
  return Object.assign(call, {
    task: 'token-classification' as const,
    id2label,
    maxLength,
    tokenizer: tok,
    config,
    sessions: runner.lanes,
    predictTexts,
    predictWords,
    prepareTexts,
    prepareWords,
    runWindows,
    dispose: () => runner.dispose(),
  }) as unknown as TokenClassificationPipeline<T>;
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** A word's distribution from its sub-tokens': first (none/simple/first), mean (average), or the most confident token's (max). */
function wordDistribution(rows: readonly Float32Array[], strategy: AggregationStrategy): Float32Array {
  if (strategy === 'average') {
    const m = new Float32Array(rows[0]!.length);
    for (const r of rows) for (let i = 0; i < m.length; i++) m[i]! += r[i]! / rows.length;
    return m;
  }
  if (strategy === 'max') {
    let best = rows[0]!;
    for (const r of rows) if (r[argmax(r)]! > best[argmax(best)]!) best = r;
    return best;
  }
  return rows[0]!;
}

/** Hugging Face's `get_tag`: `B-X` → (B, X), `I-X` → (I, X), anything else → (I, label). */
function getTag(label: string): [string, string] {
  if (label.startsWith('B-')) return ['B', label.slice(2)];
  if (label.startsWith('I-')) return ['I', label.slice(2)];
  return ['I', label];
}

/** Groups labelled words into entities as `group_entities` does; `ignoreLabels` applied after grouping. */
export function groupWords(words: readonly string[], labels: readonly string[], scores: readonly number[], ignoreLabels: readonly string[]): WordEntity[] {
  const starts: number[] = [];
  let c = 0;
  for (const w of words) { starts.push(c); c += w.length + 1; }
  const out: WordEntity[] = [];
  let open: { type: string; from: number; to: number; sum: number } | null = null;
  const close = () => {
    if (!open) return;
    const n = open.to - open.from;
    out.push({
      entity_group: open.type,
      score: open.sum / n,
      word: words.slice(open.from, open.to).join(' '),
      start: starts[open.from]!,
      end: starts[open.to - 1]! + words[open.to - 1]!.length,
      wordStart: open.from,
      wordEnd: open.to,
    });
    open = null;
  };
  labels.forEach((l, i) => {
    const [bi, type] = getTag(l);
    if (open && open.type === type && bi !== 'B') { open.to = i + 1; open.sum += scores[i]!; return; }
    close();
    open = { type, from: i, to: i + 1, sum: scores[i]! };
  });
  close();
  return out.filter((e) => !ignoreLabels.includes(e.entity_group));
}
