import { UsageError } from '../../errors.ts';
import { DatasetDict } from '../../data/dataset.ts';
import { renderInspect } from '../../data/inspect.ts';
import { isLabelPreset, LABEL_PRESETS } from '../../data/labels.ts';
import { loadDataset, type DataFormat } from '../../data/load.ts';
import type { Command } from '../command.ts';
import { cliHubOptions } from '../hub.ts';
import { parseFlags } from '../flags.ts';

const help = `Usage: tokentag data inspect --dataset FILE|DIR|ID [options]

Loads a dataset and prints its splits (sentences, tokens), the count of every label
per tag column and split, and the first example with its tags aligned under the words.

Options:
  --dataset PATH    a CoNLL, JSONL or Parquet file, or a directory with train / dev|validation /
                    test files (.txt, .conll, .jsonl, .parquet); or a Hugging Face Hub dataset
                    id (conll2003, org/name[@revision]: its Parquet files, see docs/hub.md)
  --dataset-config NAME  the configuration of a Hub dataset that has several
  --split NAME      only this split (default: all splits; the example comes from the first)
  --format F        conll | jsonl | parquet (default: by file extension)
  --columns LIST    what the file's columns are, comma-separated, '_' skips one
                    (default for CoNLL: guessed from the column count), e.g.
                    tokens,pos_tags,chunk_tags,ner_tags
  --labels PRESET   label names in the Hub's order: ${Object.keys(LABEL_PRESETS).join(' | ')}
                    (default: collected from the data, 'O' first)
  --tab             CoNLL columns are separated by tabs only (tokens may contain spaces)

Examples:
  tokentag data inspect --dataset data/conll2003 --labels conll2003
  tokentag data inspect --dataset conll2003 --split validation
`;

export const dataInspectCommand: Command = {
  help,
  async run(argv, io) {
    const values = parseFlags(argv, {
          dataset: { type: 'string' },
          'dataset-config': { type: 'string' },
          split: { type: 'string' },
          format: { type: 'string' },
          columns: { type: 'string' },
          labels: { type: 'string' },
          tab: { type: 'boolean' },
        });
    if (!values.dataset) throw new UsageError('--dataset is required');
    if (values.format !== undefined && values.format !== 'conll' && values.format !== 'jsonl' && values.format !== 'parquet') {
      throw new UsageError(`--format must be conll, jsonl or parquet, not '${values.format}'`);
    }
    if (values.labels !== undefined && !isLabelPreset(values.labels)) {
      throw new UsageError(`--labels must be one of ${Object.keys(LABEL_PRESETS).join(', ')}, not '${values.labels}'`);
    }
    const columns = values.columns?.split(',').map((c) => c.trim()).filter((c) => c !== '');
    const dict = await loadDataset(values.dataset, {
      format: values.format as DataFormat | undefined,
      columns,
      labels: values.labels,
      separator: values.tab ? 'tab' : 'whitespace',
      hub: cliHubOptions(io),
      ...(values['dataset-config'] !== undefined ? { config: values['dataset-config'] } : {}),
    });
    if (values.split !== undefined && !dict.has(values.split)) {
      throw new UsageError(`no split '${values.split}' in ${values.dataset} (splits: ${dict.names.join(', ')})`);
    }
    const shown = values.split === undefined ? dict : new DatasetDict([[values.split, dict.get(values.split)]]);
    io.out(renderInspect(shown, values.split ?? dict.names[0]));
    return 0;
  },
};
