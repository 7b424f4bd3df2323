/** Bytes → text → lines, strictly: a file that is not UTF-8 is an error, not mojibake. */
import { constants } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../errors.ts';
import { describeFsError, whyUnreadable } from '../io/writable.ts';

const strict = new TextDecoder('utf-8', { fatal: true });
const INVALID_UTF8 = 'invalid UTF-8 (the file must be UTF-8 text)';

const MB = (n: number) => `${Math.round(n / 1e6)} MB`;

/** A file too large to be one JavaScript string (about 512 Mi characters) says so, rather than being called invalid. */
function tooLarge(file: string, bytes: number): InputError {
  return new InputError(
    file,
    undefined,
    `is too large to read as one text (${MB(bytes)}; a JavaScript string holds at most ${MB(constants.MAX_STRING_LENGTH)} characters): split it into several files`,
  );
}

/** Decodes UTF-8 (dropping a BOM); on a bad byte sequence names the line it sits on. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return strict.decode(bytes);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw tooLarge(file, bytes.length);
    // Only on failure: decode line by line to find the culprit. A multi-byte UTF-8 sequence
    // never contains 0x0A, so cutting at newlines cannot split a valid character.
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          strict.decode(bytes.subarray(start, i));
        } catch {
          throw new InputError(file, line, INVALID_UTF8);
        }
        line++;
        start = i + 1;
      }
    }
    throw new InputError(file, undefined, INVALID_UTF8);
  }
}

export async function readTextFile(path: string): Promise<string> {
  const why = await whyUnreadable(path);
  if (why) throw new InputError(path, undefined, why);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_FS_FILE_TOO_LARGE') throw tooLarge(path, (await stat(path)).size);
    if (typeof code === 'string' && code.startsWith('E')) throw new InputError(path, undefined, `cannot be read: ${describeFsError(e)}`);
    throw e;
  }
  return decodeUtf8(bytes, path);
}

/**
 * The lines of a byte stream (a file being read, standard input), decoded strictly as the data
 * loaders decode whole files: a bad byte sequence is an InputError naming the line, never
 * U+FFFD in the output. Terminators (LF, CRLF) and a leading BOM are dropped; memory is one line.
 */
export async function* utf8Lines(input: AsyncIterable<Uint8Array | string>, file: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Uint8Array[] = [];
  let line = 0;
  const decode = (bytes: Uint8Array): string => {
    line++;
    let s: string;
    try {
      s = decoder.decode(bytes);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw new InputError(file, line, `the line is too long to read (${MB(bytes.length)})`);
      throw new InputError(file, line, INVALID_UTF8);
    }
    if (line === 1 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    return s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      const part = buf.subarray(start, nl);
      yield decode(pending.length ? Buffer.concat([...pending, part]) : part);
      pending = [];
      start = nl + 1;
    }
    if (start < buf.length) pending.push(buf.subarray(start));
  }
  if (pending.length) yield decode(Buffer.concat(pending));
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
