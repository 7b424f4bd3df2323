import { readFileSync } from 'node:fs';
import { capText, TokentagError, UsageError } from '../errors.ts';
import { describeFsError } from '../io/writable.ts';
import { processIO, type CliIO, type CommandEntry } from './command.ts';
import { commands } from './commands/index.ts';

/** The package's version; package.json sits two levels up from both src/cli and dist/cli. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `tokentag ${pkg.version}\n`;
}

function overview(): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length), 8);
  const lines = commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'tokentag — train, evaluate and serve transformer token classifiers',
    '',
    'Usage: tokentag <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `tokentag <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

/** Picks the command whose path is the longest prefix of argv. */
function resolve(argv: string[]): { command: CommandEntry; rest: string[] } | undefined {
  let best: CommandEntry | undefined;
  for (const c of commands) {
    if (c.path.every((w, i) => argv[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best && { command: best, rest: argv.slice(best.path.length) };
}

/** An error from the operating system (a file that cannot be read or written, a full disk), not a bug. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * When whoever reads our standard output goes away (`tokentag predict … | head`), stop quietly
 * as a Unix tool killed by SIGPIPE would (exit 141), rather than with an EPIPE stack trace.
 */
let pipeWatched = false;
function quietOnBrokenPipe(): void {
  if (pipeWatched) return;
  pipeWatched = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(141);
      throw e;
    });
  }
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  if (io === processIO) quietOnBrokenPipe();
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(overview());
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.out(version());
    return 0;
  }
  const found = resolve(argv);
  if (!found) {
    io.err(`tokentag: unknown command '${argv.join(' ')}'\n\n${overview()}`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--version')) {
    io.out(version());
    return 0;
  }
  const { help, run } = await command.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(help.endsWith('\n') ? help : help + '\n');
    return 0;
  }
  try {
    return await run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tokentag ${command.path.join(' ')}: ${capText(e.message, 2000)}\n(see 'tokentag ${command.path.join(' ')} --help')\n`);
      return 2;
    }
    if (e instanceof TokentagError) {
      io.err(`tokentag ${command.path.join(' ')}: ${capText(e.message, 2000)}\n`);
      return 1;
    }
    // The commands turn the file-system errors they expect into clear messages; any other one
    // is still the machine's answer (a full disk, a permission), said plainly.
    if (isSystemError(e)) {
      io.err(`tokentag ${command.path.join(' ')}: ${e.path ? `${e.path}: ` : ''}${describeFsError(e)} (${e.syscall})\n`);
      return 1;
    }
    throw e;
  }
}
