/**
 * `tokentag predict`: the token-classification pipeline on the command line — texts given as
 * arguments (JSON out), or a file streamed line by line in batches (JSONL or CoNLL out).
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError, TokentagError, UsageError } from '../../errors.ts';
import { AtomicFileWriter } from '../../io/atomic.ts';
import { checkReadableFile, checkWritableFile } from '../../io/writable.ts';
import { OutputFile } from '../output.ts';
import { sessionBounds, threadBounds } from '../values.ts';
import { documentEnd, documentItem, documentStart, entityType, entityTypes, type RenderableEntity } from '../../web/render.js';
import { INPUT_FORMATS, type InputFormat } from '../../data/format.ts';
import { parseStrategy, pipeline, type TokenClassificationPipeline } from '../../pipeline/index.ts';
import type { AggregationStrategy } from '../../pipeline/index.ts';
import type { CliIO, Command } from '../command.ts';
import { DATA_OPTIONS, dataOptionsHelp, parseFormatOption, parseLabelsOption } from '../data-options.ts';
import { num, parseCommandLine } from '../flags.ts';
import { readItems, type Item } from '../predict-input.ts';
import { cliHubOptions } from '../hub.ts';

const help = `Usage: tokentag predict --model DIR|ID [options] "text" …
       tokentag predict --model DIR|ID --input FILE|- [--format jsonl|conll|conlleval] [--output FILE]

Runs the token classifier in DIR (config.json with id2label, weights or onnx/model.onnx, and
a tokenizer) over texts, like Hugging Face's pipeline("token-classification"). Texts longer
than the model's maximum length are read in overlapping windows, never truncated.

Texts on the command line: prints JSON (one text: its entities; several: one array per text).

--input FILE (or - for standard input) is streamed in batches (constant memory). What it is
follows the one rule every command uses (docs/data.md, "File types"): --input-format if given;
else the extension (.jsonl → JSON Lines, .conllu → CoNLL-U, .conll/.iob/.bio/.tsv → CoNLL);
else the first lines (JSON objects → JSON Lines; CoNLL-U fields → CoNLL-U; token-and-tag
columns → CoNLL; anything else is plain text, one text per line).
  JSON Lines   {"text": "..."} → {"text", "entities"}, or {"tokens": [...]} (pre-split words)
               → {"tokens", "labels", "scores", "entities"}
  CoNLL        one token per line (the first column, or --columns), blank line between sentences
  CoNLL-U      the FORM column; comments, multi-word ranges (1-2) and empty nodes (1.1) skipped
  text         one text per line

Options:
  --model DIR|ID          the model directory, or a Hugging Face Hub id (org/name[@revision]):
                          from Python's cache or downloaded (its onnx/model.onnx when it has one)
  --aggregation S         none (default), simple, first, average or max (also --aggregation_strategy)
  --ignore-labels L,...   labels (or, aggregated, entity types) to drop (default: O)
  --stride N              overlap in tokens between windows of a long text (default min(128, room/2))
  --batch-size N          at most N windows per model run (default 32)
  --sessions N            ONNX Runtime sessions side by side: one on this thread, the rest in
                          worker threads, each with its own copy of the model (default 2 on
                          two cores or more, else 1)
  --threads N             ONNX Runtime intra-op threads per session (default: the cores
                          divided among the sessions)
  --bio                   constrained (Viterbi) decoding: no I-X after O or another type
  --input FILE|-          read texts or sentences from FILE (- : standard input) instead of the arguments
  --format F              jsonl (default); conll: token and predicted tag per line, for
                          pre-split input; conlleval: token, gold tag and predicted tag per
                          line (the input's gold tags; 'tokentag score FILE' reads it)
  --label-column NAME     with --format conlleval: the gold tag column (default: the last CoNLL
                          column, ner_tags in JSON Lines, upos in CoNLL-U)
  --output FILE           write there instead of standard output
  --html FILE             also write the texts with their entities highlighted (coloured by
                          type, legend, score on hover) as one standalone HTML page, the same
                          view as 'tokentag serve' shows; written whole or not at all
  -h, --help              show this help

Reading the input (as on data inspect, train and evaluate):
${dataOptionsHelp('--input-format')}
Examples:
  tokentag predict --model runs/ner-bert --aggregation simple "Ada Lovelace lived in London."
  tokentag predict --model dslim/bert-base-NER --aggregation simple "Ada Lovelace lived in London."
  tokentag predict --model runs/ner-bert --input test.conll --format conll --output pred.conll
  tokentag predict --model runs/ner-bert --aggregation first --input texts.txt --html entities.html
  tokentag score --gold test.conll --pred pred.conll
  tokentag predict --model runs/ner-bert --input test.conll --format conlleval | tokentag score -
`;

type OutputFormat = 'jsonl' | 'conll' | 'conlleval';

function parse(argv: string[]) {
  const { values: v, positionals, label } = parseCommandLine(
    argv,
    {
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
      'label-column': { type: 'string' },
      output: { type: 'string' },
      html: { type: 'string' },
      columns: DATA_OPTIONS.columns,
      labels: DATA_OPTIONS.labels,
      tab: DATA_OPTIONS.tab,
    },
    { allowPositionals: true, aliases: { 'aggregation-strategy': 'aggregation', 'model-name-or-path': 'model', 'label-column-name': 'label-column' } },
  );
  if (v.model === undefined) throw new UsageError('--model DIR|ID is required');
  let strategy: AggregationStrategy;
  try {
    strategy = parseStrategy(v.aggregation);
  } catch (e) {
    throw new UsageError(`${label('aggregation')}: ${(e as Error).message}`);
  }
  const int = (name: string, s: string | undefined, min: number): number | undefined => {
    if (s === undefined) return undefined;
    if (!/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`${label(name)} must be an integer ≥ ${min}, got '${s}'`);
    return Number(s);
  };
  if (v.input === undefined && positionals.length === 0) throw new UsageError('give texts as arguments or --input FILE');
  if (v.input !== undefined && positionals.length > 0) throw new UsageError('give texts as arguments or --input FILE, not both');
  const format = parseFormatOption<OutputFormat>(v.format, ['jsonl', 'conll', 'conlleval'], '--format')!;
  if (v['label-column'] !== undefined && format !== 'conlleval') throw new UsageError('--label-column chooses the gold tags of --format conlleval');
  if (v.labels !== undefined && format !== 'conlleval') throw new UsageError('--labels names the gold tags of --format conlleval (predictions use the model\'s own labels)');
  if (v.input === undefined && (v.columns !== undefined || v.labels !== undefined || v.tab || v['input-format'] !== undefined)) {
    throw new UsageError('--input-format, --columns, --labels and --tab describe an --input file');
  }
  const columns = v.columns?.split(',').map((c) => c.trim()).filter((c) => c !== '');
  return {
    model: v.model,
    strategy,
    ignoreLabels: v['ignore-labels'] !== undefined ? v['ignore-labels'].split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined,
    stride: int('stride', v.stride, 0),
    batchSize: int('batch-size', v['batch-size'], 1)!,
    sessions: num(label('sessions'), v.sessions, 'posint', sessionBounds()),
    threads: num(label('threads'), v.threads, 'posint', threadBounds()),
    bio: v.bio!,
    input: v.input,
    inputFormat: parseFormatOption<InputFormat>(v['input-format'], INPUT_FORMATS, '--input-format'),
    columns,
    tabs: v.tab ?? false,
    goldColumn: v['label-column'],
    labels: v.labels,
    format,
    output: v.output,
    html: v.html,
    texts: positionals,
  };
}

/** Standard output, or `--output FILE` written whole or not at all (see cli/output.ts). */
function writer(io: CliIO, output: OutputFile | undefined) {
  if (output === undefined) return { write: (s: string) => io.out(s), commit: () => {}, abort: () => {} };
  return { write: (s: string) => output.write(s), commit: () => output.commit(), abort: () => output.abort() };
}

/** `--html FILE`: the page, written as predictions come, put in place only when all went well. */
function htmlPage(file: string, ner: TokenClassificationPipeline, model: string, ignoreLabels: readonly string[]) {
  const w = new OutputFile(file, `--html ${file}`);
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

async function processBatch(ner: TokenClassificationPipeline, batch: Item[], format: OutputFormat, file: string, html?: HtmlPage): Promise<string> {
  const texts = batch.filter((b) => b.kind === 'text') as Extract<Item, { kind: 'text' }>[];
  const sents = batch.filter((b) => b.kind === 'words') as Extract<Item, { kind: 'words' }>[];
  if (format !== 'jsonl' && texts.length > 0) {
    throw new InputError(file, texts[0]!.line, `--format ${format} needs pre-split input ({"tokens": [...]} lines, CoNLL or CoNLL-U), not raw text`);
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
      if (format === 'conll') out += r.words.map((w, i) => `${w} ${r.labels[i]}`).join('\n') + '\n\n';
      else if (format === 'conlleval') out += r.words.map((w, i) => `${w} ${b.gold![i]} ${r.labels[i]}`).join('\n') + '\n\n';
      else out += `${JSON.stringify({ tokens: r.words, labels: r.labels, scores: r.scores, entities: r.entities })}\n`;
    }
  }
  return out;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const a = parse(argv);
  const goldColumn = a.format === 'conlleval' ? (a.goldColumn ?? a.columns?.find((c) => c !== 'tokens' && c !== '_') ?? 'ner_tags') : undefined;
  const labels = parseLabelsOption(a.labels, goldColumn ?? 'ner_tags');
  // Before the model loads: the input can be read (and its format is decided), the outputs written.
  if (a.input !== undefined && a.input !== '-') await checkReadableFile(a.input, `--input ${a.input}`);
  if (a.output !== undefined) checkWritableFile(a.output, `--output ${a.output}`);
  if (a.html !== undefined) checkWritableFile(a.html, `--html ${a.html}`);
  const items = a.input === undefined ? undefined : readItems(a.input, { format: a.inputFormat, columns: a.columns, tabs: a.tabs, gold: goldColumn, labels }, io.stdin);
  const first = items ? await items.next() : undefined;
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
    onWarning: (m) => io.err(`tokentag predict: note: ${m}\n`),
  });
  let html: HtmlPage | undefined;
  let w: ReturnType<typeof writer> | undefined;
  try {
    html = a.html !== undefined ? htmlPage(a.html, ner, a.model, a.ignoreLabels ?? ['O']) : undefined;
    w = writer(io, a.output !== undefined ? new OutputFile(a.output, `--output ${a.output}`) : undefined);
    if (!items) {
      if (a.format !== 'jsonl') throw new UsageError(`--format ${a.format} needs pre-split input (--input FILE in JSONL with "tokens", CoNLL or CoNLL-U)`);
      const results = await ner.predictTexts(a.texts);
      results.forEach((r, i) => html?.item(a.texts[i]!, r));
      w.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
    } else {
      const name = a.input === '-' ? 'standard input' : a.input!;
      // Items per batch: enough to fill a few model calls, bounded so memory stays constant.
      const chunk = Math.max(a.batchSize * 8, 64);
      let batch: Item[] = first && !first.done ? [first.value] : [];
      for await (const item of items) {
        batch.push(item);
        if (batch.length >= chunk) {
          w.write(await processBatch(ner, batch, a.format, name, html));
          batch = [];
        }
      }
      if (batch.length > 0) w.write(await processBatch(ner, batch, a.format, name, html));
    }
    // Both in place only when everything went well (a bad line 301 leaves the old files as they were).
    w.commit();
    html?.commit();
    return 0;
  } catch (e) {
    w?.abort();
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
