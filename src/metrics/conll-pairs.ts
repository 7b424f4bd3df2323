/**
 * A minimal reader for "token ... tag" CoNLL files as `tokentag score` needs them: one token
 * per line, columns split on whitespace, token first and tag last (or, in conlleval's one-file
 * form, gold and predicted tags last), blank lines between sentences, `-DOCSTART-` lines skipped. (The general CoNLL dataset reader lives in src/data;
 * this one only keeps what scoring needs, including line numbers for error messages.)
 */
import { readFile } from 'node:fs/promises';
import { decodeUtf8 } from '../data/text.ts';
import { InputError } from '../errors.ts';

export interface TaggedToken {
  readonly token: string;
  readonly tag: string;
  /** 1-based line number in the file. */
  readonly line: number;
}

export interface TaggedSentence {
  readonly tokens: readonly TaggedToken[];
}

/** Sentences of whitespace-separated columns, each line with its number; `-DOCSTART-` lines skipped. */
function columnSentences(text: string, file: string, minColumns: number, expected: string): { fields: string[]; line: number }[][] {
  const sentences: { fields: string[]; line: number }[][] = [];
  let current: { fields: string[]; line: number }[] = [];
  const flush = (): void => {
    if (current.length > 0) sentences.push(current);
    current = [];
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const content = lines[i].trim(); // also drops the '\r' of CRLF files
    if (content === '') {
      flush();
      continue;
    }
    const fields = content.split(/\s+/);
    if (fields[0] === '-DOCSTART-') {
      flush();
      continue;
    }
    if (fields.length < minColumns) {
      throw new InputError(file, i + 1, `expected '${expected}' (at least ${minColumns} columns), found only '${content}'`);
    }
    current.push({ fields, line: i + 1 });
  }
  flush();
  return sentences;
}

/** Parses the text of a tagged CoNLL file. `file` is only used in error messages. */
export function parseTaggedConllText(text: string, file: string): TaggedSentence[] {
  return columnSentences(text, file, 2, 'token ... tag').map((s) => ({
    tokens: s.map(({ fields, line }) => ({ token: fields[0], tag: fields[fields.length - 1], line })),
  }));
}

/**
 * Parses conlleval's input, one file with both: `token … gold pred` per line (the last two
 * columns are the gold and the predicted tag), as conlleval and the WNUT-17 script read it.
 */
export function parseConllevalText(text: string, file: string): { gold: TaggedSentence[]; pred: TaggedSentence[] } {
  const sentences = columnSentences(text, file, 3, 'token … gold pred');
  const side = (k: number): TaggedSentence[] =>
    sentences.map((s) => ({ tokens: s.map(({ fields, line }) => ({ token: fields[0], tag: fields[fields.length - k], line })) }));
  return { gold: side(2), pred: side(1) };
}

/** Parses the bytes of a tagged CoNLL file. */
export function parseTaggedConll(bytes: Uint8Array, file: string): TaggedSentence[] {
  return parseTaggedConllText(decodeUtf8(bytes, file), file);
}

/** Reads and parses a tagged CoNLL file; unreadable files become an InputError. */
export async function readTaggedConll(path: string): Promise<TaggedSentence[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, undefined, code === 'ENOENT' ? 'no such file' : `cannot read file (${code ?? String(e)})`);
  }
  return parseTaggedConll(bytes, path);
}
