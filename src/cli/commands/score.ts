/**
 * `tokentag score`: seqeval scores of a predicted CoNLL file against a gold one, or of one
 * conlleval-style file holding both; with `--surface`, WNUT-17's surface-form scores too.
 */
import { readFile } from 'node:fs/promises';
import { InputError, TokentagError, UsageError } from '../../errors.ts';
import type { CliIO, Command } from '../command.ts';
import { decodeUtf8 } from '../../data/text.ts';
import { detectDataFormat } from '../../data/format.ts';
import { parseConllevalText, parseTaggedConllText, type TaggedSentence } from '../../metrics/conll-pairs.ts';
import { classificationReportRows, formatReport, type ReportData } from '../../metrics/report.ts';
import { accuracyScore } from '../../metrics/scores.ts';
import { seqevalCompute } from '../../metrics/evaluate.ts';
import { formatFixed } from '../../metrics/pyformat.ts';
import { isSurfaceTag, surfaceScores, type SurfaceResult } from '../../metrics/surface.ts';
import { SCHEMES, type Mode, type Scheme, type EntityOptions } from '../../metrics/types.ts';
import { parseCommandLine } from '../flags.ts';

const help = `Usage: tokentag score --gold GOLD --pred PRED [options]
       tokentag score FILE|- [options]

Scores predicted tags against gold tags exactly as Python seqeval 1.2.2 does (and as
Hugging Face evaluate's "seqeval" metric reports them).

GOLD and PRED are CoNLL-style files: one token per line, columns separated by spaces or
tabs, the token first and the tag last, a blank line between sentences; -DOCSTART- lines
are skipped. Sentences and tokens are paired one to one.

FILE holds both, as conlleval and the WNUT-17 script read them: 'token … gold pred' per line
(the last two columns are the gold and the predicted tag); - reads it from standard input.
'tokentag predict --format conlleval' writes it.

Options:
  --gold FILE          gold (reference) tags
  --pred FILE          predicted tags
  --mode MODE          default (conlleval-compatible, the default) or strict
  --scheme SCHEME      IOB1, IOB2, IOE1, IOE2, IOBES or BILOU (strict mode; detected from
                       the gold tags when omitted)
  --suffix             tags carry their prefix last (PER-B)
  --surface            also WNUT-17's surface-form scores: precision, recall and F1 over the
                       unique (surface form, type) pairs of the gold, predicted and correct
                       entities, overall and per type (see docs/metrics.md); IOB tags only
  --digits N           digits after the decimal point in the text report (default 2)
  --json               print the evaluate-style dictionary as JSON instead of the report
                       (with --surface, its scores under "surface")
  --align MODE         exact (default): token texts must match line by line;
                       position: pair tags by position and only count differing tokens
  -h, --help           show this help

Examples:
  tokentag score --gold dev.conll --pred dev.pred.conll
  tokentag score --gold dev.conll --pred dev.pred.conll --mode strict --scheme IOB2 --json
  tokentag score wnut17-test.both.txt --surface
`;

interface Paired {
  readonly gold: string[][];
  readonly pred: string[][];
  readonly differingTokens: number;
}

function lastLine(sentences: readonly TaggedSentence[]): number {
  const last = sentences[sentences.length - 1];
  return last ? last.tokens[last.tokens.length - 1].line : 0;
}

/** Pairs the two files sentence by sentence; any structural difference is an error naming both places. */
function pair(
  gold: readonly TaggedSentence[],
  pred: readonly TaggedSentence[],
  goldFile: string,
  predFile: string,
  byPosition: boolean,
): Paired {
  const n = Math.min(gold.length, pred.length);
  let differingTokens = 0;
  for (let k = 0; k < n; k++) {
    const g = gold[k].tokens;
    const p = pred[k].tokens;
    if (g.length !== p.length) {
      throw new TokentagError(
        `sentence ${k + 1} has ${g.length} tokens in ${goldFile} (starting at line ${g[0].line}) ` +
          `but ${p.length} in ${predFile} (starting at line ${p[0].line})`,
      );
    }
    for (let j = 0; j < g.length; j++) {
      if (g[j].token === p[j].token) continue;
      if (!byPosition) {
        throw new TokentagError(
          `${goldFile}:${g[j].line} has '${g[j].token}' but ${predFile}:${p[j].line} has '${p[j].token}' ` +
            `(use --align position to pair tags by position)`,
        );
      }
      differingTokens++;
    }
  }
  if (gold.length !== pred.length) {
    const [longFile, longer, shortFile, shorter] =
      gold.length > pred.length ? [goldFile, gold, predFile, pred] : [predFile, pred, goldFile, gold];
    throw new TokentagError(
      `${goldFile} has ${gold.length} sentences but ${predFile} has ${pred.length}: ` +
        `sentence ${n + 1} starts at ${longFile}:${longer[n].tokens[0].line} ` +
        `but ${shortFile} ends at line ${lastLine(shorter)}`,
    );
  }
  const tags = (s: readonly TaggedSentence[]): string[][] => s.map((x) => x.tokens.map((t) => t.tag));
  return { gold: tags(gold), pred: tags(pred), differingTokens };
}

function parse(argv: string[]) {
  const { values: v, positionals } = parseCommandLine(
    argv,
    {
      gold: { type: 'string' },
      pred: { type: 'string' },
      mode: { type: 'string', default: 'default' },
      scheme: { type: 'string' },
      suffix: { type: 'boolean', default: false },
      surface: { type: 'boolean', default: false },
      digits: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
      align: { type: 'string', default: 'exact' },
    },
    { allowPositionals: true },
  );
  if (positionals.length > 1) throw new UsageError(`give one conlleval-style file, not ${positionals.length}`);
  const both = positionals[0];
  if (both !== undefined && (v.gold !== undefined || v.pred !== undefined)) throw new UsageError('give --gold and --pred, or one file with both, not both');
  if (both === undefined && (v.gold === undefined || v.pred === undefined)) throw new UsageError('both --gold and --pred are required (or one conlleval-style file: tokentag score FILE)');
  if (v.mode !== 'default' && v.mode !== 'strict') throw new UsageError(`--mode must be default or strict, got '${v.mode}'`);
  let scheme: Scheme | undefined;
  if (v.scheme !== undefined) {
    scheme = SCHEMES.find((s) => s === v.scheme!.toUpperCase());
    if (!scheme) throw new UsageError(`--scheme must be one of ${SCHEMES.join(', ')}, got '${v.scheme}'`);
  }
  if (!/^\d+$/.test(v.digits!)) throw new UsageError(`--digits must be a non-negative integer, got '${v.digits}'`);
  if (v.align !== 'exact' && v.align !== 'position') throw new UsageError(`--align must be exact or position, got '${v.align}'`);
  return {
    both,
    gold: v.gold,
    pred: v.pred,
    mode: v.mode as Mode,
    scheme,
    suffix: v.suffix!,
    surface: v.surface!,
    digits: Number(v.digits),
    json: v.json!,
    byPosition: v.align === 'position',
  };
}

/** A file's text (`-`: standard input), refused when the one rule says it is not token-and-tag columns. */
async function readColumns(file: string, io: CliIO): Promise<{ name: string; text: string }> {
  const name = file === '-' ? 'standard input' : file;
  let bytes: Uint8Array;
  if (file === '-') {
    if (!io.stdin) throw new TokentagError('-: there is no standard input to read');
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
    bytes = Buffer.concat(chunks);
  } else {
    try {
      bytes = await readFile(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError(file, undefined, code === 'ENOENT' ? 'no such file' : `cannot read file (${code ?? String(e)})`);
    }
  }
  const text = decodeUtf8(bytes, name);
  const { format } = detectDataFormat(file === '-' ? '' : file, () => text);
  if (format !== 'conll') throw new InputError(name, undefined, `this is ${format === 'jsonl' ? 'JSON Lines' : 'CoNLL-U'}; score reads CoNLL columns (token … tag); tokentag predict --format conll or conlleval writes them`);
  return { name, text };
}

/** Refuses tags the WNUT-17 script cannot read, naming the line. */
function checkSurfaceTags(sentences: readonly TaggedSentence[], file: string): void {
  for (const s of sentences) {
    for (const t of s.tokens) {
      if (!isSurfaceTag(t.tag)) throw new InputError(file, t.line, `--surface reads IOB tags (B-X, I-X, O) as the WNUT-17 script does; found '${t.tag}'`);
    }
  }
}

/** The surface scores as the evaluate-style dictionary's "surface" entry. */
function surfaceJson(r: SurfaceResult): Record<string, unknown> {
  const entry = (x: SurfaceResult['overall']) => ({ precision: x.precision, recall: x.recall, f1: x.f1, number: x.gold, predicted: x.predicted, correct: x.correct });
  const out: Record<string, unknown> = {};
  for (const [type, x] of Object.entries(r.types)) out[type] = entry(x);
  const o = r.overall;
  return { ...out, overall_precision: o.precision, overall_recall: o.recall, overall_f1: o.f1, overall_number: o.gold, overall_predicted: o.predicted, overall_correct: o.correct };
}

/** The surface scores as a report table: one row per gold type, then "overall"; support = unique gold forms. */
function surfaceReport(r: SurfaceResult, digits: number): string {
  const row = (x: SurfaceResult['overall']) => ({ precision: x.precision, recall: x.recall, 'f1-score': x.f1, support: x.gold });
  const types = Object.entries(r.types).map(([t, x]) => [t, row(x)] as const);
  const data: ReportData = { rows: [...types, ['overall', row(r.overall)]], typeCount: types.length };
  return `\nsurface forms (WNUT-17): unique (surface form, type) pairs\n${formatReport(data, digits)}`;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const a = parse(argv);
  if (a.scheme && a.mode !== 'strict') {
    io.err(`tokentag score: note: --scheme only takes effect with --mode strict (as in seqeval)\n`);
  }
  let goldSentences: TaggedSentence[];
  let predSentences: TaggedSentence[];
  let goldName: string;
  let predName: string;
  if (a.both !== undefined) {
    const { name, text } = await readColumns(a.both, io);
    ({ gold: goldSentences, pred: predSentences } = parseConllevalText(text, name));
    goldName = predName = name;
  } else {
    const [g, p] = await Promise.all([readColumns(a.gold!, io), readColumns(a.pred!, io)]);
    [goldName, predName] = [g.name, p.name];
    [goldSentences, predSentences] = [parseTaggedConllText(g.text, g.name), parseTaggedConllText(p.text, p.name)];
  }
  const paired = pair(goldSentences, predSentences, goldName, predName, a.byPosition);
  if (paired.differingTokens > 0) {
    io.err(`tokentag score: note: ${paired.differingTokens} tokens differ in text between ${goldName} and ${predName}; tags were paired by position\n`);
  }
  let surface: SurfaceResult | undefined;
  if (a.surface) {
    checkSurfaceTags(goldSentences, goldName);
    checkSurfaceTags(predSentences, predName);
    surface = surfaceScores(goldSentences.map((s) => s.tokens.map((t) => t.token)), paired.gold, paired.pred);
  }
  const options: EntityOptions = {
    mode: a.mode,
    scheme: a.scheme,
    suffix: a.suffix,
    onWarning: (w) => io.err(`tokentag score: warning: ${w.message}\n`),
  };
  if (a.json) {
    const result = seqevalCompute(paired.pred, paired.gold, options);
    io.out(`${JSON.stringify(surface ? { ...result, surface: surfaceJson(surface) } : result, null, 2)}\n`);
    return 0;
  }
  const report = formatReport(classificationReportRows(paired.gold, paired.pred, options), a.digits);
  io.out(`${report}\naccuracy: ${formatFixed(accuracyScore(paired.gold, paired.pred), a.digits)}\n${surface ? surfaceReport(surface, a.digits) : ''}`);
  return 0;
}

export const scoreCommand: Command = {
  help,
  run,
};
