/**
 * `tokentag score`: seqeval scores of a predicted CoNLL file against a gold one.
 */
import { TokentagError, UsageError } from '../../errors.ts';
import type { CliIO, Command } from '../command.ts';
import { readTaggedConll, type TaggedSentence } from '../../metrics/conll-pairs.ts';
import { classificationReportRows, formatReport } from '../../metrics/report.ts';
import { accuracyScore } from '../../metrics/scores.ts';
import { seqevalCompute } from '../../metrics/evaluate.ts';
import { formatFixed } from '../../metrics/pyformat.ts';
import { SCHEMES, type Mode, type Scheme, type EntityOptions } from '../../metrics/types.ts';
import { parseFlags } from '../flags.ts';

const help = `Usage: tokentag score --gold GOLD --pred PRED [options]

Scores predicted tags against gold tags exactly as Python seqeval 1.2.2 does (and as
Hugging Face evaluate's "seqeval" metric reports them).

GOLD and PRED are CoNLL-style files: one token per line, columns separated by spaces or
tabs, the token first and the tag last, a blank line between sentences; -DOCSTART- lines
are skipped. Sentences and tokens are paired one to one.

Options:
  --gold FILE          gold (reference) tags
  --pred FILE          predicted tags
  --mode MODE          default (conlleval-compatible, the default) or strict
  --scheme SCHEME      IOB1, IOB2, IOE1, IOE2, IOBES or BILOU (strict mode; detected from
                       the gold tags when omitted)
  --suffix             tags carry their prefix last (PER-B)
  --digits N           digits after the decimal point in the text report (default 2)
  --json               print the evaluate-style dictionary as JSON instead of the report
  --align MODE         exact (default): token texts must match line by line;
                       position: pair tags by position and only count differing tokens
  -h, --help           show this help

Examples:
  tokentag score --gold dev.conll --pred dev.pred.conll
  tokentag score --gold dev.conll --pred dev.pred.conll --mode strict --scheme IOB2 --json
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
  const v = parseFlags(argv, {
    gold: { type: 'string' },
    pred: { type: 'string' },
    mode: { type: 'string', default: 'default' },
    scheme: { type: 'string' },
    suffix: { type: 'boolean', default: false },
    digits: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    align: { type: 'string', default: 'exact' },
  });
  if (v.gold === undefined || v.pred === undefined) throw new UsageError('both --gold and --pred are required');
  if (v.mode !== 'default' && v.mode !== 'strict') throw new UsageError(`--mode must be default or strict, got '${v.mode}'`);
  let scheme: Scheme | undefined;
  if (v.scheme !== undefined) {
    scheme = SCHEMES.find((s) => s === v.scheme!.toUpperCase());
    if (!scheme) throw new UsageError(`--scheme must be one of ${SCHEMES.join(', ')}, got '${v.scheme}'`);
  }
  if (!/^\d+$/.test(v.digits!)) throw new UsageError(`--digits must be a non-negative integer, got '${v.digits}'`);
  if (v.align !== 'exact' && v.align !== 'position') throw new UsageError(`--align must be exact or position, got '${v.align}'`);
  return {
    gold: v.gold,
    pred: v.pred,
    mode: v.mode as Mode,
    scheme,
    suffix: v.suffix!,
    digits: Number(v.digits),
    json: v.json!,
    byPosition: v.align === 'position',
  };
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const a = parse(argv);
  if (a.scheme && a.mode !== 'strict') {
    io.err(`tokentag score: note: --scheme only takes effect with --mode strict (as in seqeval)\n`);
  }
  const [goldSentences, predSentences] = await Promise.all([readTaggedConll(a.gold), readTaggedConll(a.pred)]);
  const paired = pair(goldSentences, predSentences, a.gold, a.pred, a.byPosition);
  if (paired.differingTokens > 0) {
    io.err(`tokentag score: note: ${paired.differingTokens} tokens differ in text between ${a.gold} and ${a.pred}; tags were paired by position\n`);
  }
  const options: EntityOptions = {
    mode: a.mode,
    scheme: a.scheme,
    suffix: a.suffix,
    onWarning: (w) => io.err(`tokentag score: warning: ${w.message}\n`),
  };
  if (a.json) {
    const result = seqevalCompute(paired.pred, paired.gold, options);
    io.out(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const report = formatReport(classificationReportRows(paired.gold, paired.pred, options), a.digits);
  io.out(`${report}\naccuracy: ${formatFixed(accuracyScore(paired.gold, paired.pred), a.digits)}\n`);
  return 0;
}

export const scoreCommand: Command = {
  help,
  run,
};
