/**
 * `tokentag predict`: the token-classification pipeline on the command line — texts given as
 * arguments (JSON out), or a file streamed line by line in batches (JSONL or CoNLL out).
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { InputError, TokentagError, UsageError } from '../../errors.ts';
import { parseStrategy, pipeline, type TokenClassificationPipeline } from '../../pipeline/index.ts';
import type { AggregationStrategy } from '../../pipeline/index.ts';
import { AtomicFileWriter } from '../../io/atomic.ts';
import { documentEnd, documentItem, documentStart, entityType, entityTypes, type RenderableEntity } from '../../web/render.js';
import type { CliIO, Command } from '../command.ts';
import { cliHubOptions } from '../hub.ts';

const help = `Usage: tokentag predict --model DIR|ID [options] "text" …
       tokentag predict --model DIR|ID --input FILE [--format jsonl|conll] [--output FILE]

Runs the token classifier in DIR (config.json with id2label, weights or onnx/model.onnx, and
a tokenizer) over texts, like Hugging Face's pipeline("token-classification"). Texts longer
than the model's maximum length are read in overlapping windows, never truncated.

Texts on the command line: prints JSON (one text: its entities; several: one array per text).

--input FILE is streamed in batches (constant memory), one result per line of JSONL:
  *.jsonl / *.json   one object per line: {"text": "..."} → {"text", "entities"}
                     or {"tokens": [...]} (pre-split words) → {"tokens", "labels", "scores", "entities"}
  *.conll / *.iob / *.bio / *.tsv
                     CoNLL: one token per line (first column), blank line between sentences
  anything else      plain text, one text per line
(--input-format text|jsonl|conll overrides the guess from the extension.)

Options:
  --model DIR|ID          the model directory, or a Hugging Face Hub id (org/name[@revision]):
                          from Python's cache or downloaded (its onnx/model.onnx when it has one)
  --aggregation S         none (default), simple, first, average or max
  --ignore-labels L,...   labels (or, aggregated, entity types) to drop (default: O)
  --stride N              overlap in tokens between windows of a long text (default min(128, room/2))
  --batch-size N          at most N windows per model run (default 32)
  --sessions N            ONNX Runtime sessions side by side: one on this thread, the rest in
                          worker threads, each with its own copy of the model (default 2 on
                          two cores or more, else 1)
  --threads N             ONNX Runtime intra-op threads per session (default: the cores
                          divided among the sessions)
  --bio                   constrained (Viterbi) decoding: no I-X after O or another type
  --input FILE            read texts or sentences from FILE instead of the arguments
  --input-format F        text, jsonl or conll (default: from the extension)
  --format F              jsonl (default) or conll: token and predicted tag per line, for
                          pre-split input; 'tokentag score' reads it
  --output FILE           write there instead of standard output
  --html FILE             also write the texts with their entities highlighted (coloured by
                          type, legend, score on hover) as one standalone HTML page, the same
                          view as 'tokentag serve' shows; written whole or not at all
  -h, --help              show this help

Examples:
  tokentag predict --model runs/ner-bert --aggregation simple "Ada Lovelace lived in London."
  tokentag predict --model runs/ner-bert --input test.conll --format conll --output pred.conll
  tokentag predict --model dslim/bert-base-NER --aggregation simple "Ada Lovelace lived in London."
  tokentag score --gold test.conll --pred pred.conll
  tokentag predict --model runs/ner-bert --aggregation first --input texts.txt --html entities.html
`;

type InputFormat = 'text' | 'jsonl' | 'conll';

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        aggregation: { type: 'string', default: 'none' },
        'ignore-labels': { type: 'string' },
        stride: { type: 'string' },
        'batch-size': { type: 'string', default: '32' },
        sessions: { type: 'string' },
        threads: { type: 'string' },
        bio: { type: 'boolean', default: false },
        input: { type: 'string' },
        'input-format': { type: 'string' },
        format: { type: 'string', default: 'jsonl' },
        output: { type: 'string' },
        html: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.model === undefined) throw new UsageError('--model DIR|ID is required');
  let strategy: AggregationStrategy;
  try {
    strategy = parseStrategy(v.aggregation);
  } catch (e) {
    throw new UsageError(`--aggregation: ${(e as Error).message}`);
  }
  const int = (name: string, s: string | undefined, min: number): number | undefined => {
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${s}'`);
    return Number(s);
  };
  if (v.input === undefined && parsed.positionals.length === 0) throw new UsageError('give texts as arguments or --input FILE');
  if (v.input !== undefined && parsed.positionals.length > 0) throw new UsageError('give texts as arguments or --input FILE, not both');
  if (v.format !== 'jsonl' && v.format !== 'conll') throw new UsageError(`--format must be jsonl or conll, got '${v.format}'`);
  const inf = v['input-format'];
  if (inf !== undefined && inf !== 'text' && inf !== 'jsonl' && inf !== 'conll') throw new UsageError(`--input-format must be text, jsonl or conll, got '${inf}'`);
  return {
    model: v.model,
    strategy,
    ignoreLabels: v['ignore-labels'] !== undefined ? v['ignore-labels'].split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined,
    stride: int('stride', v.stride, 0),
    batchSize: int('batch-size', v['batch-size'], 1)!,
    sessions: int('sessions', v.sessions, 1),
    threads: int('threads', v.threads, 1),
    bio: v.bio!,
    input: v.input,
    inputFormat: inf as InputFormat | undefined,
    format: v.format as 'jsonl' | 'conll',
    output: v.output,
    html: v.html,
    texts: parsed.positionals,
  };
}

export function guessInputFormat(file: string): InputFormat {
  if (/\.jsonl?$/i.test(file)) return 'jsonl';
  if (/\.(conll|conllu|iob|iob2|bio|bioes|tsv)$/i.test(file)) return 'conll';
  return 'text';
}

/** One unit of input: a text or a pre-split sentence, with the line it came from. */
type Item = { kind: 'text'; text: string; line: number } | { kind: 'words'; words: string[]; line: number };

/** Reads FILE line by line, yielding items (CoNLL sentences end at blank lines). */
async function* readItems(file: string, format: InputFormat): AsyncGenerator<Item> {
  if (!fs.existsSync(file)) throw new TokentagError(`${file}: no such file`);
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  let words: string[] = [];
  let start = 0;
  for await (const raw of rl) {
    n++;
    const line = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (format === 'text') {
      yield { kind: 'text', text: line, line: n };
    } else if (format === 'jsonl') {
      if (line.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (e) {
        throw new InputError(file, n, `not valid JSON: ${(e as Error).message}`);
      }
      const o = obj as { text?: unknown; tokens?: unknown };
      if (obj !== null && typeof obj === 'object' && typeof o.text === 'string') yield { kind: 'text', text: o.text, line: n };
      else if (obj !== null && typeof obj === 'object' && Array.isArray(o.tokens) && o.tokens.every((t) => typeof t === 'string')) yield { kind: 'words', words: o.tokens as string[], line: n };
      else throw new InputError(file, n, 'expected an object with "text" (a string) or "tokens" (an array of strings)');
    } else {
      const t = line.trim();
      if (t === '') {
        if (words.length > 0) yield { kind: 'words', words, line: start };
        words = [];
        continue;
      }
      const tok = t.split(/\s+/)[0]!;
      if (tok === '-DOCSTART-') continue;
      if (words.length === 0) start = n;
      words.push(tok);
    }
  }
  if (words.length > 0) yield { kind: 'words', words, line: start };
}

/** Writes text, waiting when the stream's buffer is full (constant memory). */
function writer(io: CliIO, output: string | undefined) {
  if (output === undefined) return { write: async (s: string) => io.out(s), close: async () => {} };
  const stream = fs.createWriteStream(output, 'utf8');
  return {
    write: (s: string) => new Promise<void>((resolve, reject) => {
      if (stream.write(s)) resolve();
      else {
        stream.once('drain', resolve);
        stream.once('error', reject);
      }
    }),
    close: () => new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve()))),
  };
}

/** `--html FILE`: the page, written as predictions come, put in place only when all went well. */
function htmlPage(file: string, ner: TokenClassificationPipeline, model: string, ignoreLabels: readonly string[]) {
  let w: AtomicFileWriter;
  try {
    w = new AtomicFileWriter(file);
  } catch (e) {
    throw new TokentagError(`--html ${file}: cannot write there (${(e as Error).message})`);
  }
  // The legend: the model's entity types, less those the output leaves out.
  const types = entityTypes(ner.id2label.filter((l) => !ignoreLabels.includes(l) && !ignoreLabels.includes(entityType(l))));
  w.write(documentStart({ title: `tokentag predict — ${path.basename(path.resolve(model))}`, types }));
  return {
    item: (text: string, entities: readonly RenderableEntity[]) => w.write(documentItem(text, entities)),
    commit: () => {
      w.write(documentEnd());
      w.commit();
    },
    abort: () => w.abort(),
  };
}
type HtmlPage = ReturnType<typeof htmlPage>;

async function processBatch(ner: TokenClassificationPipeline, batch: Item[], format: 'jsonl' | 'conll', file: string, html?: HtmlPage): Promise<string> {
  const texts = batch.filter((b) => b.kind === 'text') as Extract<Item, { kind: 'text' }>[];
  const sents = batch.filter((b) => b.kind === 'words') as Extract<Item, { kind: 'words' }>[];
  if (format === 'conll' && texts.length > 0) {
    throw new InputError(file, texts[0]!.line, '--format conll needs pre-split input ({"tokens": [...]} lines or a CoNLL file), not raw text');
  }
  const textOut = texts.length ? await ner.predictTexts(texts.map((t) => t.text)) : [];
  const wordOut = sents.length ? await ner.predictWords(sents.map((s) => s.words)) : [];
  let ti = 0;
  let wi = 0;
  let out = '';
  for (const b of batch) {
    if (b.kind === 'text') {
      html?.item(b.text, textOut[ti]!);
      out += `${JSON.stringify({ text: b.text, entities: textOut[ti++] })}\n`;
    } else {
      const r = wordOut[wi++]!;
      html?.item(r.words.join(' '), r.entities);
      if (format === 'conll') {
        out += r.words.map((w, i) => `${w} ${r.labels[i]}`).join('\n') + '\n\n';
      } else {
        out += `${JSON.stringify({ tokens: r.words, labels: r.labels, scores: r.scores, entities: r.entities })}\n`;
      }
    }
  }
  return out;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const a = parse(argv);
  const ner = await pipeline('token-classification', {
    model: a.model,
    hub: cliHubOptions(io),
    aggregationStrategy: a.strategy,
    ignoreLabels: a.ignoreLabels,
    stride: a.stride,
    batchSize: a.batchSize,
    bioConstrained: a.bio,
    ...(a.sessions !== undefined ? { sessions: a.sessions } : {}),
    ...(a.threads !== undefined ? { intraOpNumThreads: a.threads } : {}),
  });
  const html = a.html !== undefined ? htmlPage(a.html, ner, a.model, a.ignoreLabels ?? ['O']) : undefined;
  try {
    if (a.input === undefined) {
      if (a.format === 'conll') throw new UsageError('--format conll needs pre-split input (--input FILE in JSONL with "tokens", or CoNLL)');
      const results = await ner.predictTexts(a.texts);
      results.forEach((r, i) => html?.item(a.texts[i]!, r));
      const w = writer(io, a.output);
      await w.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
      await w.close();
      html?.commit();
      return 0;
    }
    const format = a.inputFormat ?? guessInputFormat(a.input);
    const w = writer(io, a.output);
    // Items per batch: enough to fill a few model calls, bounded so memory stays constant.
    const chunk = Math.max(a.batchSize * 8, 64);
    let batch: Item[] = [];
    try {
      for await (const item of readItems(a.input, format)) {
        batch.push(item);
        if (batch.length >= chunk) {
          await w.write(await processBatch(ner, batch, a.format, a.input, html));
          batch = [];
        }
      }
      if (batch.length > 0) await w.write(await processBatch(ner, batch, a.format, a.input, html));
    } finally {
      await w.close();
    }
    html?.commit();
    return 0;
  } catch (e) {
    html?.abort();
    throw e;
  } finally {
    await ner.dispose();
  }
}

export const predictCommand: Command = {
  help,
  run,
};
