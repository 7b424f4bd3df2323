import { createConfig } from '../../src/models/index.ts';

/**
 * A one-layer BERT small enough to train in milliseconds, with dropout off so runs are
 * reproducible bit for bit (resume tests compare weights exactly). Token ids: [CLS] 2, [SEP] 3.
 */
export function tinyBertConfig(labels: readonly string[]) {
  return createConfig('bert', {
    vocab_size: 50,
    hidden_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 32,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    id2label: labels,
  });
}
