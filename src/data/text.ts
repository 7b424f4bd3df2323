/** Bytes → text → lines, strictly: a file that is not UTF-8 is an error, not mojibake. */
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.ts';

const strict = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 (dropping a BOM); on a bad byte sequence names the line it sits on. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    // Only on failure: decode line by line to find the culprit. A multi-byte UTF-8 sequence
    // never contains 0x0A, so cutting at newlines cannot split a valid character.
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          strict.decode(bytes.subarray(start, i));
        } catch {
          throw new InputError(file, line, 'invalid UTF-8 (the file must be UTF-8 text)');
        }
        line++;
        start = i + 1;
      }
    }
    throw new InputError(file, undefined, 'invalid UTF-8 (the file must be UTF-8 text)');
  }
}

export async function readTextFile(path: string): Promise<string> {
  return decodeUtf8(await readFile(path), path);
}

/** Lines without their terminators (LF or CRLF); a leading BOM is dropped. Line i is line i+1 of the file. */
export function splitLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}
