import type { CommandEntry } from '../command.ts';

/**
 * Every sub-command, in the order `tokentag --help` lists them. Each module is imported only when
 * its command runs, so `tokentag --help` starts in a few tens of milliseconds.
 */
export const commands: CommandEntry[] = [
  {
    path: ['data', 'inspect'],
    summary: 'Show the splits, label counts and first example of a dataset',
    load: async () => (await import('./data-inspect.ts')).dataInspectCommand,
  },
  {
    path: ['score'],
    summary: 'Score predicted tags against gold tags (seqeval: P/R/F1 per type, accuracy)',
    load: async () => (await import('./score.ts')).scoreCommand,
  },
  {
    path: ['export', 'onnx'],
    summary: 'Export a model directory to ONNX (onnx/model.onnx, for transformers.js and ONNX Runtime)',
    load: async () => (await import('./export-onnx.ts')).exportOnnxCommand,
  },
  {
    path: ['train'],
    summary: 'Train a token classifier (from scratch or fine-tuning) and save it with its tokenizer',
    load: async () => (await import('./train.ts')).trainCommand,
  },
  {
    path: ['evaluate'],
    summary: 'Score a trained model on a dataset split (seqeval classification report)',
    load: async () => (await import('./evaluate.ts')).evaluateCommand,
  },
  {
    path: ['predict'],
    summary: 'Run a token classifier over texts or a file (JSON, JSONL, CoNLL or conlleval out)',
    load: async () => (await import('./predict.ts')).predictCommand,
  },
  {
    path: ['serve'],
    summary: 'Serve a token classifier over HTTP (Hugging Face Inference API, entity viewer)',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    path: ['push'],
    summary: 'Upload a trained model directory to the Hugging Face Hub, with a model card',
    load: async () => (await import('./push.ts')).pushCommand,
  },
];
