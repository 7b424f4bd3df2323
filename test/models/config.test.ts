import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigError,
  TRANSFORMERS_VERSION,
  architectureFor,
  configToJson,
  configToString,
  createConfig,
  maxSequenceLength,
  modelTypeOf,
  parseConfig,
  readConfig,
  withLabels,
} from '../../src/models/index.ts';

const throwsConfig = (fn: () => unknown, message: string | RegExp, field?: string) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  });

describe('config: defaults', () => {
  it('fills BERT defaults from BertConfig', () => {
    const c = parseConfig({ model_type: 'bert' });
    assert.equal(c.modelType, 'bert');
    if (c.modelType !== 'bert') return;
    assert.equal(c.vocabSize, 30522);
    assert.equal(c.hiddenSize, 768);
    assert.equal(c.numHiddenLayers, 12);
    assert.equal(c.numAttentionHeads, 12);
    assert.equal(c.intermediateSize, 3072);
    assert.equal(c.hiddenAct, 'gelu');
    assert.equal(c.hiddenDropoutProb, 0.1);
    assert.equal(c.attentionProbsDropoutProb, 0.1);
    assert.equal(c.maxPositionEmbeddings, 512);
    assert.equal(c.typeVocabSize, 2);
    assert.equal(c.layerNormEps, 1e-12);
    assert.equal(c.initializerRange, 0.02);
    assert.equal(c.padTokenId, 0);
    assert.equal(c.classifierDropout, null);
    assert.deepEqual(c.id2label, ['LABEL_0', 'LABEL_1']);
    assert.deepEqual(c.label2id, { LABEL_0: 0, LABEL_1: 1 });
  });

  it('fills RoBERTa, XLM-R, ELECTRA and DistilBERT defaults', () => {
    const r = parseConfig({ model_type: 'roberta' });
    assert.equal(r.padTokenId, 1);
    assert.equal(maxSequenceLength(parseConfig({ model_type: 'xlm-roberta', max_position_embeddings: 514 })), 512);
    const e = parseConfig({ model_type: 'electra' });
    assert.ok(e.modelType === 'electra');
    assert.equal(e.embeddingSize, 128);
    assert.equal(e.hiddenSize, 256);
    assert.equal(e.numAttentionHeads, 4);
    assert.equal(e.intermediateSize, 1024);
    const d = parseConfig({ model_type: 'distilbert' });
    assert.ok(d.modelType === 'distilbert');
    assert.deepEqual(
      [d.dim, d.nLayers, d.nHeads, d.hiddenDim, d.dropout, d.attentionDropout, d.seqClassifDropout, d.qaDropout, d.activation, d.maxPositionEmbeddings, d.sinusoidalPosEmbds, d.padTokenId],
      [768, 6, 12, 3072, 0.1, 0.1, 0.2, 0.1, 'gelu', 512, false, 0],
    );
  });

  it('resolves the model type from architectures when model_type is missing', () => {
    assert.equal(modelTypeOf({ architectures: ['XLMRobertaForMaskedLM'] }), 'xlm-roberta');
    assert.equal(modelTypeOf({ architectures: ['DistilBertModel'] }), 'distilbert');
    assert.equal(modelTypeOf({ architectures: ['BertForTokenClassification'] }), 'bert');
    assert.equal(modelTypeOf({ architectures: ['RobertaModel'] }), 'roberta');
    assert.equal(modelTypeOf({ architectures: ['ElectraForPreTraining'] }), 'electra');
    assert.equal(architectureFor({ architectures: ['ElectraForPreTraining'] }).baseModelPrefix, 'electra');
  });
});

describe('config: validation', () => {
  it('names the file and the field', () => {
    throwsConfig(
      () => parseConfig({ model_type: 'bert', hidden_size: 770, num_attention_heads: 12 }),
      'config.json: hidden_size 770 is not a multiple of num_attention_heads 12',
      'hidden_size',
    );
    throwsConfig(() => parseConfig({ model_type: 'distilbert', dim: 100, n_heads: 12 }, 'm/config.json'), 'm/config.json: dim 100 is not a multiple of n_heads 12', 'dim');
    throwsConfig(() => parseConfig({ model_type: 'bert', vocab_size: '30522' }), /vocab_size must be an integer, found "30522"/, 'vocab_size');
    throwsConfig(() => parseConfig({ model_type: 'bert', num_hidden_layers: 0 }), /num_hidden_layers must be at least 1, found 0/, 'num_hidden_layers');
    throwsConfig(() => parseConfig({ model_type: 'bert', hidden_dropout_prob: 1.5 }), /hidden_dropout_prob must be a dropout probability in \[0, 1\), found 1.5/);
    throwsConfig(() => parseConfig({ model_type: 'bert', layer_norm_eps: 0 }), /layer_norm_eps must be a positive number/);
    throwsConfig(() => parseConfig({ model_type: 'bert', pad_token_id: 40, vocab_size: 30 }), /pad_token_id 40 is not below vocab_size 30/);
    throwsConfig(() => parseConfig({ model_type: 'roberta', max_position_embeddings: 2 }), /max_position_embeddings 2 leaves no positions after padding_idx 1/);
  });

  it('rejects activations other than the erf GELU', () => {
    throwsConfig(() => parseConfig({ model_type: 'bert', hidden_act: 'gelu_new' }), /hidden_act "gelu_new" is not supported: tokentag implements only "gelu"/, 'hidden_act');
    throwsConfig(() => parseConfig({ model_type: 'distilbert', activation: 'relu' }), /activation "relu" is not supported/, 'activation');
  });

  it('rejects sinusoidal DistilBERT positions and relative position embeddings, saying so', () => {
    throwsConfig(() => parseConfig({ model_type: 'distilbert', sinusoidal_pos_embds: true }), /sinusoidal_pos_embds true is not supported/, 'sinusoidal_pos_embds');
    throwsConfig(() => parseConfig({ model_type: 'bert', position_embedding_type: 'relative_key' }), /position_embedding_type "relative_key" is not supported/);
  });

  it('lists the supported model types for an unknown one', () => {
    throwsConfig(() => parseConfig({ model_type: 'gpt2' }), 'config.json: model_type "gpt2" is not supported (supported: bert, distilbert, roberta, xlm-roberta, electra)');
    throwsConfig(() => parseConfig({ architectures: ['GPT2LMHeadModel'] }), /name no supported architecture \(supported model types: bert, distilbert/);
    throwsConfig(() => parseConfig({}), /model_type is missing/);
    throwsConfig(() => parseConfig([]), /a config must be a JSON object/);
  });
});

describe('config: labels', () => {
  it('reads id2label with string keys as Hugging Face writes them', () => {
    const c = parseConfig({ model_type: 'bert', id2label: { '1': 'B-PER', '0': 'O', '2': 'I-PER' }, label2id: { O: 0, 'B-PER': 1, 'I-PER': 2 } });
    assert.deepEqual(c.id2label, ['O', 'B-PER', 'I-PER']);
    assert.deepEqual(c.label2id, { O: 0, 'B-PER': 1, 'I-PER': 2 });
  });

  it('derives the labels from label2id or num_labels alone', () => {
    assert.deepEqual(parseConfig({ model_type: 'bert', label2id: { B: 1, A: 0 } }).id2label, ['A', 'B']);
    assert.deepEqual(parseConfig({ model_type: 'bert', num_labels: 3 }).id2label, ['LABEL_0', 'LABEL_1', 'LABEL_2']);
  });

  it('rejects inconsistent label maps', () => {
    throwsConfig(() => parseConfig({ model_type: 'bert', id2label: { '0': 'O', '2': 'B' } }), /id2label has 2 labels, so ids must be 0..1; found id 2/, 'id2label');
    throwsConfig(() => parseConfig({ model_type: 'bert', id2label: { zero: 'O' } }), /id2label key "zero" is not a label id/);
    throwsConfig(() => parseConfig({ model_type: 'bert', id2label: { '0': 'O', '1': 'O' } }), /gives the name "O" to ids 0 and 1/);
    throwsConfig(() => parseConfig({ model_type: 'bert', id2label: { '0': 'O', '1': 'B' }, label2id: { O: 1, B: 0 } }), /label2id\["O"\] = 1 but id2label\["1"\] = "B"/, 'label2id');
    throwsConfig(() => parseConfig({ model_type: 'bert', id2label: { '0': 'O', '1': 'B' }, label2id: { O: 0 } }), /label2id has 1 labels but id2label has 2/);
    throwsConfig(() => parseConfig({ model_type: 'bert', id2label: { '0': 'O', '1': 'B' }, num_labels: 3 }), /num_labels 3 does not match the 2 labels of id2label/, 'num_labels');
  });

  it('replaces the labels with withLabels', () => {
    const c = withLabels(createConfig('bert', { hidden_size: 8, num_attention_heads: 2 }), ['O', 'B-LOC']);
    assert.deepEqual(c.id2label, ['O', 'B-LOC']);
    assert.equal(c.hiddenSize, 8);
  });
});

describe('config: writing', () => {
  const source = {
    architectures: ['BertForMaskedLM'],
    model_type: 'bert',
    hidden_size: 64,
    num_attention_heads: 4,
    num_hidden_layers: 2,
    intermediate_size: 128,
    vocab_size: 100,
    id2label: { '0': 'O', '1': 'B-PER', '2': 'I-PER' },
    label2id: { O: 0, 'B-PER': 1, 'I-PER': 2 },
    gradient_checkpointing: false,
    use_cache: true,
    bos_token_id: 5,
    torch_dtype: 'float16',
    transformers_version: '4.6.0.dev0',
    _num_labels: 3,
  };

  it('writes the Hugging Face layout and keeps unknown fields', () => {
    const json = configToJson(parseConfig(source));
    assert.deepEqual(json.architectures, ['BertForTokenClassification']);
    assert.equal(json.model_type, 'bert');
    assert.deepEqual(json.id2label, { '0': 'O', '1': 'B-PER', '2': 'I-PER' });
    assert.deepEqual(json.label2id, { O: 0, 'B-PER': 1, 'I-PER': 2 });
    assert.equal(json.torch_dtype, 'float32');
    assert.equal(json.transformers_version, TRANSFORMERS_VERSION);
    assert.equal(json.gradient_checkpointing, false);
    assert.equal(json.use_cache, true);
    assert.equal(json.bos_token_id, 5);
    assert.equal(json.hidden_size, 64);
    assert.equal(json.classifier_dropout, null);
    assert.equal(json.layer_norm_eps, 1e-12);
    assert.equal('_num_labels' in json, false);
    assert.deepEqual(Object.keys(json), Object.keys(json).sort());
  });

  it('round-trips every architecture', () => {
    for (const type of ['bert', 'roberta', 'xlm-roberta', 'electra', 'distilbert'] as const) {
      const c = createConfig(type, { id2label: ['O', 'B-X', 'I-X'], some_future_field: { a: [1, 2] } });
      const again = parseConfig(JSON.parse(configToString(c)));
      assert.deepEqual(again, c, type);
      assert.equal(configToString(again), configToString(c));
      assert.deepEqual(again.extra, { some_future_field: { a: [1, 2] } });
    }
  });

  it('writes XLM-R and DistilBERT class names', () => {
    assert.deepEqual(configToJson(createConfig('xlm-roberta')).architectures, ['XLMRobertaForTokenClassification']);
    const d = configToJson(createConfig('distilbert'));
    assert.deepEqual(d.architectures, ['DistilBertForTokenClassification']);
    assert.equal(d.dim, 768);
    assert.equal(d.sinusoidal_pos_embds, false);
    assert.equal('hidden_size' in d, false);
  });

  it('reads a file, naming it in errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-config-'));
    try {
      const file = path.join(dir, 'config.json');
      fs.writeFileSync(file, JSON.stringify(source));
      assert.deepEqual(readConfig(file).id2label, ['O', 'B-PER', 'I-PER']);
      fs.writeFileSync(file, '{"model_type": "bert",');
      throwsConfig(() => readConfig(file), new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
      throwsConfig(() => readConfig(path.join(dir, 'nope.json')), /nope\.json: cannot read: no such file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
