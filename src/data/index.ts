// Public API of tokentag's data layer.
export { Dataset, DatasetDict, type Batch, type MapOptions, type BatchedMapOptions, type SplitOptions } from './dataset.ts';
export {
  ClassLabel,
  classLabelOf,
  sequence,
  tagColumns,
  tokenClassificationFeatures,
  value,
  type FeatureType,
  type Features,
  type Sequence,
  type Value,
  type ValueDtype,
} from './features.ts';
export { freezeRow, tagIds, type TaggedRow, type TagIds, type TokenRow } from './row.ts';
export { AUTO_LAYOUTS, SKIP, type ColumnName, type TagNames } from './columns.ts';
export {
  CONLL2003_CHUNK,
  CONLL2003_NER,
  CONLL2003_POS,
  WNUT17_NER,
  LABEL_PRESETS,
  isLabelPreset,
  resolveLabels,
  type ColumnLabels,
  type LabelPreset,
  type LabelSpec,
  type ResolvedLabels,
} from './labels.ts';
export { sortLabels } from './vocab.ts';
export { formatConll, parseConll, readConll, writeConll, type ConllReadOptions, type ConllWriteOptions } from './conll.ts';
export { formatJsonl, parseJsonl, readJsonl, writeJsonl, type JsonlReadOptions, type JsonlWriteOptions } from './jsonl.ts';
export { CONLLU_FIELDS, type ConlluReadOptions } from './conllu.ts';
export { DATA_FORMATS, INPUT_FORMATS, detectDataFormat, detectInputFormat, formatOfExtension, type DetectedFormat, type InputFormat } from './format.ts';
export {
  loadConll,
  loadDataset,
  load_dataset,
  loadJsonl,
  resolveSource,
  saveDataset,
  splitOfFile,
  type DataFormat,
  type DataSource,
  type LoadOptions,
  type SaveOptions,
  type SplitFile,
} from './load.ts';
export {
  bilouToIob2,
  convertDatasetScheme,
  convertLabelNames,
  convertTags,
  iob1ToIob2,
  iob2ToBilou,
  iob2ToIob1,
  iob2ToIobes,
  iobesToIob2,
  type TagScheme,
} from './schemes.ts';
export { Rng, permutation, shuffleInPlace, type RngState } from './rng.ts';
export { alignExample, renderInspect, splitStats, type SplitStats } from './inspect.ts';
export { decodeUtf8, readTextFile } from './text.ts';
export { SYNTHETIC_DEFAULT_SIZES, SYNTHETIC_LEXICON, syntheticHeldOutNames, syntheticNer, syntheticTemplates, type LexiconList, type NamePool, type SyntheticOptions, type SyntheticRow } from './synthetic.ts';
export { splitWords } from './words.ts';
export { writeSyntheticConll } from './synthetic-files.ts';
