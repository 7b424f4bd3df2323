import { UsageError } from '../../errors.ts';
import { DatasetDict } from '../../data/dataset.ts';
import { renderInspect } from '../../data/inspect.ts';
import { isLabelPreset, LABEL_PRESETS } from '../../data/labels.ts';
import { loadDataset, type DataFormat } from '../../data/load.ts';
import type { Command } from '../command.ts';
import { parseFlags } from '../flags.ts';

const help = `Usage: tokentag data inspect --dataset FILE|DIR [options]

Loads a dataset and prints its splits (sentences, tokens), the count of every label
per tag column and split, and the first example with its tags aligned under the words.

Options:
  --dataset PATH    a CoNLL or JSONL file, or a directory with train / dev|validation / test
                    files (.txt, .conll, .jsonl)
  --split NAME      only this split (default: all splits; the example comes from the first)
  --format F        conll | jsonl (default: by file extension, .jsonl is JSONL)
  --columns LIST    what the file's columns are, comma-separated, '_' skips one
                    (default for CoNLL: guessed from the column count), e.g.
                    tokens,pos_tags,chunk_tags,ner_tags
  --labels PRESET   label names in the Hub's order: ${Object.keys(LABEL_PRESETS).join(' | ')}
                    (default: collected from the data, 'O' first)
  --tab             CoNLL columns are separated by tabs only (tokens may contain spaces)

Example:
  tokentag data inspect --dataset data/conll2003 --labels conll2003
`;

export const dataInspectCommand: Command = {
  help,
  async run(argv, io) {
    const values = parseFlags(argv, {
          dataset: { type: 'string' },
          split: { type: 'string' },
          format: { type: 'string' },
          columns: { type: 'string' },
          labels: { type: 'string' },
          tab: { type: 'boolean' },
        });
    if (!values.dataset) throw new UsageError('--dataset is required');
    if (values.format !== undefined && values.format !== 'conll' && values.format !== 'jsonl') {
      throw new UsageError(`--format must be conll or jsonl, not '${values.format}'`);
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
    });
    if (values.split !== undefined && !dict.has(values.split)) {
      throw new UsageError(`no split '${values.split}' in ${values.dataset} (splits: ${dict.names.join(', ')})`);
    }
    const shown = values.split === undefined ? dict : new DatasetDict([[values.split, dict.get(values.split)]]);
    io.out(renderInspect(shown, values.split ?? dict.names[0]));
    return 0;
  },
};
