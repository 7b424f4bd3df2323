/**
 * `tokentag export onnx`: a model directory → `onnx/model.onnx`, the file transformers.js,
 * ONNX Runtime (Node, Python, …) and Optimum's tools load.
 */
import { UsageError } from '../../errors.ts';
import { type ExportedTensorInfo, exportOnnx } from '../../models/export.ts';
import { formatBytes } from '../../train/progress.ts';
import { resolveModel } from '../../hub/model.ts';
import { cliHubOptions } from '../hub.ts';
import type { CliIO, Command } from '../command.ts';
import { parseFlags } from '../flags.ts';

const help = `Usage: tokentag export onnx --model DIR|ID [options]

Exports the token classifier in DIR (config.json + model.safetensors, sharded safetensors
or pytorch_model.bin) to ONNX, in the layout Hugging Face Optimum writes and transformers.js
loads: DIR/onnx/model.onnx (opset 17, float32 weights inside the file, or in
model.onnx_data beside it when the model is over 2 GiB).

Inputs: input_ids, attention_mask, and token_type_ids for BERT and ELECTRA (int64
[batch_size, sequence_length]); output: logits (float32 [batch_size, sequence_length,
num_labels]). An existing export is replaced atomically.

Options:
  --model DIR|ID       the model directory, or a Hugging Face Hub id (then --output is needed:
                       the cache is not written into)
  --output FILE        write the ONNX model here instead of DIR/onnx/model.onnx
  --external-data      keep the weights in FILE_data even when the model is small
  --json               print what was written as JSON
  -h, --help           show this help

Examples:
  tokentag export onnx --model runs/ner-bert
  tokentag export onnx --model runs/ner-bert --output /tmp/ner.onnx
`;

const tensorLine = (t: ExportedTensorInfo) => `  ${t.name.padEnd(15)} ${t.dtype.padEnd(8)} [${t.dims.join(', ')}]`;

async function run(argv: string[], io: CliIO): Promise<number> {
  const values = parseFlags(argv, {
        model: { type: 'string' },
        output: { type: 'string' },
        'external-data': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      });
  if (!values.model) throw new UsageError('--model is required');
  if (values.output === '') throw new UsageError('--output must not be empty');
  const model = await resolveModel(values.model, { ...cliHubOptions(io), purpose: 'weights' });
  if (model.source === 'hub' && values.output === undefined) {
    throw new UsageError(`--model ${values.model} is a Hub model (in the cache at ${model.dir}); give --output FILE, e.g. --output ${model.id!.split('/').pop()}-onnx/model.onnx`);
  }
  const r = exportOnnx(model.dir, {
    ...(values.output !== undefined ? { output: values.output } : {}),
    ...(values['external-data'] ? { externalData: true } : {}),
  });
  if (values.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `wrote ${r.file} (${formatBytes(r.bytes)}, ${r.bytes} bytes)`,
    ...(r.externalData ? [`wrote ${r.externalData.file} (${formatBytes(r.externalData.bytes)}, ${r.externalData.bytes} bytes)`] : []),
    `model: ${r.modelType}, ${r.numLabels} labels, ONNX opset ${r.opset}`,
    'inputs:',
    ...r.inputs.map(tensorLine),
    'outputs:',
    ...r.outputs.map(tensorLine),
  ];
  if (r.unusedWeights.length > 0) {
    lines.push(`note: ${r.unusedWeights.length} checkpoint tensor${r.unusedWeights.length === 1 ? ' is' : 's are'} not used by the model and not exported: ${r.unusedWeights.slice(0, 5).join(', ')}${r.unusedWeights.length > 5 ? ', …' : ''}`);
  }
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

export const exportOnnxCommand: Command = {
  help,
  run,
};
