/**
 * `tokentag push`: a trained model directory → a Hugging Face Hub repository, with its model card.
 * See docs/hub.md.
 */
import { UsageError } from '../../errors.ts';
import { pushToHub, type PushResult } from '../../hub/push.ts';
import { ProgressBar } from '../../train/progress.ts';
import type { CliIO, Command } from '../command.ts';
import { parseFlags } from '../flags.ts';
import { cliStream } from './train.ts';

const help = `Usage: tokentag push --model DIR --repo USER/NAME [options]

Uploads a model directory (config.json, the weights, the tokenizer files, onnx/ when present,
the training record files) to a Hugging Face Hub model repository, creating it if needed, in one
commit. The model card (README.md) is the one \`tokentag train\` wrote, with its usage snippets
pointed at the repository; without one, a card is written from what the directory says.
checkpoint-* folders are not uploaded.

Needs a token with write access: HF_TOKEN, or the one \`hf auth login\` / \`huggingface-cli login\`
saved. HF_ENDPOINT chooses another Hub.

Options:
  --model DIR              the model directory (a --output-dir of tokentag train)
  --repo USER/NAME         the repository (NAME alone: under the token's user)
  --private                create the repository private
  --commit-message TEXT    default "Upload model trained with tokentag"
  --json                   print the result as JSON
  -h, --help               show this help

Example:
  tokentag push --model runs/bert-ner --repo my-user/bert-ner-conll2003
`;

/** Prints push progress like downloads: a bar on a terminal, nothing in logs. */
export function uploadReporter(io: CliIO, label: string): (done: number, total: number) => void {
  const stream = cliStream(io, true);
  let bar: ProgressBar | undefined;
  return (done, total) => {
    if (!stream.isTTY) return;
    if (!bar) {
      bar = new ProgressBar(stream, { unit: 'bytes', label });
      bar.start(total);
    }
    bar.update(done);
    if (done >= total) bar.finish();
  };
}

export function pushSummary(r: PushResult): string {
  return `pushed ${r.files.length} files to ${r.url} (commit ${r.commit.slice(0, 8)}${r.created ? ', new repository' : ''})\n`;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const values = parseFlags(argv, {
    model: { type: 'string' },
    repo: { type: 'string' },
    private: { type: 'boolean', default: false },
    'commit-message': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (!values.model) throw new UsageError('--model DIR is required');
  if (!values.repo) throw new UsageError('--repo USER/NAME is required');
  if (values['commit-message'] === '') throw new UsageError('--commit-message must not be empty');
  const r = await pushToHub(values.model, {
    repo: values.repo,
    private: values.private,
    ...(values['commit-message'] !== undefined ? { commitMessage: values['commit-message'] } : {}),
    onUpload: uploadReporter(io, `uploading to ${values.repo}`),
  });
  io.out(values.json ? `${JSON.stringify(r, null, 2)}\n` : pushSummary(r));
  return 0;
}

export const pushCommand: Command = {
  help,
  run,
};
