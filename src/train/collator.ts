/**
 * `DataCollatorForTokenClassification`: the course's collator, a callable object over
 * {@link collate} (the one padding implementation the Trainer and the CLI use). It takes rows as
 * a tokenized dataset holds them — `input_ids`, `attention_mask`, `token_type_ids`, `labels` —
 * pads the inputs with the tokenizer's pad id and the labels with -100, and returns int64
 * {@link Tensor}s:
 *
 *   const data_collator = new DataCollatorForTokenClassification({ tokenizer });
 *   const batch = data_collator([tokenized_datasets.train.get(0), tokenized_datasets.train.get(1)]);
 *   batch.labels.tolist(); // [[-100, 3, 0, …, -100], [-100, 1, 2, -100, -100, …]]
 */
import { Callable } from '../callable.ts';
import { Tensor } from '../engine/tensor.ts';
import { TokentagError } from '../errors.ts';
import type { PreTrainedTokenizer } from '../tokenize/auto.ts';
import type { FastTokenizer } from '../tokenize/tokenizer.ts';
import { collate, type CollateOptions, type EncodedFeature } from './batching.ts';

/** A row of a tokenized dataset: what `tokenize_and_align_labels` returns, one sentence. Other columns are ignored. */
export interface TokenClassificationRow {
  readonly input_ids: readonly number[];
  readonly attention_mask?: readonly number[];
  readonly token_type_ids?: readonly number[];
  /** Token labels, -100 where the loss must not look. */
  readonly labels?: readonly number[];
}

/** A padded batch: `[batch, sequence]` int64 tensors, named as the model's inputs. */
export interface TokenClassificationBatch {
  readonly input_ids: Tensor<'int64', 2>;
  readonly attention_mask: Tensor<'int64', 2>;
  readonly token_type_ids?: Tensor<'int64', 2>;
  readonly labels?: Tensor<'int64', 2>;
}

export interface DataCollatorForTokenClassificationOptions {
  /** The tokenizer the dataset was encoded with: its pad token pads `input_ids`. */
  readonly tokenizer: PreTrainedTokenizer | FastTokenizer;
  /** `true` / `'longest'` (default): to the batch's longest row; `'max_length'`: to `max_length`; `false`: no padding (rows must be equally long). */
  readonly padding?: boolean | 'longest' | 'max_length';
  /** With `padding: 'max_length'`. */
  readonly max_length?: number;
  /** Round the padded length up to a multiple of this (8 suits tensor cores). */
  readonly pad_to_multiple_of?: number;
  /** What padded label positions hold. Default -100, which the loss ignores. */
  readonly label_pad_token_id?: number;
}

function backendOf(tokenizer: PreTrainedTokenizer | FastTokenizer): FastTokenizer {
  return 'backend' in tokenizer ? tokenizer.backend : tokenizer;
}

/** One dataset row as the engine's feature; `where` names the row in messages. */
export function featureOfRow(row: TokenClassificationRow, where: string): EncodedFeature {
  if (row === null || typeof row !== 'object') throw new TokentagError(`${where} is not a row (an object with input_ids)`);
  if (!Array.isArray(row.input_ids)) {
    throw new TokentagError(`${where} has no input_ids: tokenize the dataset first (dataset.map(tokenize_and_align_labels, { batched: true, remove_columns }))`);
  }
  return {
    inputIds: row.input_ids,
    ...(row.attention_mask !== undefined ? { attentionMask: row.attention_mask } : {}),
    ...(row.token_type_ids !== undefined ? { tokenTypeIds: row.token_type_ids } : {}),
    ...(row.labels !== undefined ? { labels: row.labels } : {}),
  };
}

export interface DataCollatorForTokenClassification {
  /** Pads the rows into one batch (Python: `data_collator(features)`). */
  (features: readonly TokenClassificationRow[]): TokenClassificationBatch;
}

/** Hugging Face's `DataCollatorForTokenClassification`; see the module comment. */
export class DataCollatorForTokenClassification extends Callable {
  /** The tokenizer whose pad id pads `input_ids`. */
  readonly tokenizer: PreTrainedTokenizer | FastTokenizer;
  /** What the collator does, as the engine's {@link collate} options (the Trainer batches with these). */
  readonly collateOptions: CollateOptions;

  constructor(options: DataCollatorForTokenClassificationOptions) {
    let self!: DataCollatorForTokenClassification;
    super((features: readonly TokenClassificationRow[]) => self.#call(features));
    self = this;
    if (!options || !options.tokenizer) throw new TokentagError('DataCollatorForTokenClassification needs the tokenizer the dataset was encoded with: new DataCollatorForTokenClassification({ tokenizer })');
    this.tokenizer = options.tokenizer;
    const padding = options.padding ?? true;
    const mode = padding === true || padding === 'longest' ? 'longest' : padding === 'max_length' ? 'max_length' : padding === false ? 'do_not_pad' : undefined;
    if (mode === undefined) throw new TokentagError(`DataCollatorForTokenClassification: padding must be true, false, 'longest' or 'max_length', got ${JSON.stringify(padding)}`);
    let padTokenId = 0;
    if (mode !== 'do_not_pad') {
      const backend = backendOf(options.tokenizer);
      const pad = backend.specialTokens.pad_token;
      const id = pad === undefined ? undefined : backend.tokenToId(pad);
      if (id === undefined) {
        throw new TokentagError(
          'DataCollatorForTokenClassification: asking to pad but the tokenizer has no padding token' +
            `${pad === undefined ? '' : ` ('${pad}' is not in its vocabulary)`}; give the tokenizer a pad token (special_tokens_map.json: "pad_token"), or use padding: false with rows of equal length`,
        );
      }
      padTokenId = id;
    }
    if (options.max_length !== undefined && mode !== 'max_length') throw new TokentagError("DataCollatorForTokenClassification: max_length goes with padding: 'max_length'");
    this.collateOptions = Object.freeze({
      padding: mode,
      padTokenId,
      ...(options.max_length !== undefined ? { maxLength: options.max_length } : {}),
      ...(options.pad_to_multiple_of !== undefined ? { padToMultipleOf: options.pad_to_multiple_of } : {}),
      labelPadTokenId: options.label_pad_token_id ?? -100,
    });
  }

  #call(features: readonly TokenClassificationRow[]): TokenClassificationBatch {
    if (!Array.isArray(features)) throw new TokentagError('data_collator takes an array of rows ([dataset.get(0), dataset.get(1), …])');
    const b = collate(features.map((f, i) => featureOfRow(f, `row ${i}`)), this.collateOptions);
    return {
      input_ids: Tensor.from<'int64', 2>(b.input_ids),
      attention_mask: Tensor.from<'int64', 2>(b.attention_mask),
      ...(b.token_type_ids ? { token_type_ids: Tensor.from<'int64', 2>(b.token_type_ids) } : {}),
      ...(b.labels ? { labels: Tensor.from<'int64', 2>(b.labels) } : {}),
    };
  }
}
