/**
 * A minimal reader for "token ... tag" CoNLL files as `tokentag score` needs them: one token
 * per line, columns split on whitespace, token first and tag last, blank lines between
 * sentences, `-DOCSTART-` lines skipped. (The general CoNLL dataset reader lives in src/data;
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

/** Parses the text of a tagged CoNLL file. `file` is only used in error messages. */
export function parseTaggedConllText(text: string, file: string): TaggedSentence[] {
  const sentences: TaggedSentence[] = [];
  let current: TaggedToken[] = [];
  const flush = (): void => {
    if (current.length > 0) sentences.push({ tokens: current });
    current = [];
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const content = lines[i].trim(); // also drops the '\r' of CRLF files
    if (content === '') {
      flush();
      continue;
    }
    const columns = content.split(/\s+/);
    if (columns[0] === '-DOCSTART-') {
      flush();
      continue;
    }
    if (columns.length < 2) {
      throw new InputError(file, i + 1, `expected 'token ... tag' (at least 2 columns), found only '${content}'`);
    }
    current.push({ token: columns[0], tag: columns[columns.length - 1], line: i + 1 });
  }
  flush();
  return sentences;
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
