/** What the CLI passes to the Hub: the environment's settings, and download progress on stderr. */
import { downloadReporter } from '../hub/progress.ts';
import type { HubOptions } from '../hub/settings.ts';
import type { CliIO } from './command.ts';
import { cliStream } from './commands/train.ts';

export function cliHubOptions(io: CliIO): HubOptions {
  return { onProgress: downloadReporter(cliStream(io, true)) };
}
