import type { Command } from '../command.ts';

/** Every sub-command, in the order `tokentag --help` lists them. */
export const commands: Command[] = [];
