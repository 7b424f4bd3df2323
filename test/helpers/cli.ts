import type { CliIO } from '../../src/cli/command.ts';
import { main } from '../../src/cli/main.ts';

/** Runs `tokentag <argv>` in-process and captures what it printed and its exit code. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await main(argv, io);
  return { code, out, err };
}
