/**
 * Model presets for training from scratch (`tokentag train --model bert-tiny`): the shapes of
 * Google's small BERTs (Turc et al., 2019, "Well-Read Students Learn Better"), with a WordPiece
 * vocabulary trained on the training split. A preset also carries training defaults suited to a
 * small randomly initialised model (a much larger learning rate than fine-tuning's 2e-5, with
 * warm-up); explicit command-line flags override them.
 */
import type { TrainingArgumentsInit } from './args.ts';

export interface ModelPreset {
  readonly name: string;
  readonly description: string;
  /** snake_case `config.json` fields for `createConfig('bert', …)` (vocab_size and labels are added). */
  readonly config: Readonly<Record<string, number>>;
  /** Training defaults for this preset (from scratch); flags given on the command line win. */
  readonly training: Readonly<Partial<TrainingArgumentsInit>>;
  /** Default WordPiece vocabulary size (special tokens included). */
  readonly vocabSize: number;
  /** Default word dropout (a masked copy of the training set; see `withWordDropout`). */
  readonly wordDropout: number;
}

/** Word dropout for from-scratch models unless `--word-dropout` says otherwise. */
export const FROM_SCRATCH_WORD_DROPOUT = 0.3;

/** Training defaults for any model trained from scratch (presets, config-only directories). */
export const FROM_SCRATCH_TRAINING: Partial<TrainingArgumentsInit> = {
  learningRate: 1e-3,
  numTrainEpochs: 12,
  perDeviceTrainBatchSize: 32,
  perDeviceEvalBatchSize: 64,
  warmupRatio: 0.1,
  weightDecay: 0.01,
};

const shape = (hidden: number, layers: number, heads: number, intermediate: number) => ({
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  intermediate_size: intermediate,
  max_position_embeddings: 512,
});

export const MODEL_PRESETS: Readonly<Record<string, ModelPreset>> = Object.freeze({
  'bert-tiny': {
    name: 'bert-tiny',
    description: 'BERT, hidden 128, 2 layers, 2 heads, FFN 512',
    config: shape(128, 2, 2, 512),
    training: FROM_SCRATCH_TRAINING,
    vocabSize: 2000,
    wordDropout: FROM_SCRATCH_WORD_DROPOUT,
  },
  'bert-mini': {
    name: 'bert-mini',
    description: 'BERT, hidden 256, 4 layers, 4 heads, FFN 1024',
    config: shape(256, 4, 4, 1024),
    training: { ...FROM_SCRATCH_TRAINING, learningRate: 5e-4 },
    vocabSize: 2000,
    wordDropout: FROM_SCRATCH_WORD_DROPOUT,
  },
  'bert-small': {
    name: 'bert-small',
    description: 'BERT, hidden 512, 4 layers, 8 heads, FFN 2048',
    config: shape(512, 4, 8, 2048),
    training: { ...FROM_SCRATCH_TRAINING, learningRate: 3e-4 },
    vocabSize: 2000,
    wordDropout: FROM_SCRATCH_WORD_DROPOUT,
  },
});

/** The preset `tokentag train` uses when no `--model` is given. */
export const DEFAULT_PRESET = 'bert-tiny';

export const presetNames = (): string[] => Object.keys(MODEL_PRESETS);

export function getPreset(name: string): ModelPreset | undefined {
  return Object.hasOwn(MODEL_PRESETS, name) ? MODEL_PRESETS[name] : undefined;
}
