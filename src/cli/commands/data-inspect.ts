import { UsageError } from '../../errors.ts';
import { DatasetDict } from '../../data/dataset.ts';
import { renderInspect } from '../../data/inspect.ts';
import { loadDataset } from '../../data/load.ts';
import type { Command } from '../command.ts';
import { cliHubOptions } from '../hub.ts';
import { DATA_OPTIONS, dataLoadOptions, dataOptionsHelp } from '../data-options.ts';
import { parseCommandLine } from '../flags.ts';

const help = `Usage: tokentag data inspect --dataset FILE|DIR|ID [options]

Loads a dataset and prints its splits (sentences, tokens), the count of every label
per tag column and split, and the first example with its tags aligned under the words.

Options:
  --dataset PATH    a CoNLL, JSON Lines, CoNLL-U or Parquet file, or a directory with train /
                    dev|validation / test files (.txt, .conll, .json, .jsonl, .conllu, .parquet, …);
                    or a Hugging Face Hub dataset id (conll2003, org/name[@revision]: its Parquet
                    files, see docs/hub.md)
  --dataset-config NAME  the configuration of a Hub dataset that has several
  --split NAME      only this split (default: all splits; the example comes from the first)
${dataOptionsHelp()}
Examples:
  tokentag data inspect --dataset data/conll2003 --labels conll2003
  tokentag data inspect --dataset conll2003 --split validation
`;

export const dataInspectCommand: Command = {
  help,
  async run(argv, io) {
    const { values, label } = parseCommandLine(argv, { dataset: { type: 'string' }, 'dataset-config': { type: 'string' }, split: { type: 'string' }, ...DATA_OPTIONS });
    if (!values.dataset) throw new UsageError('--dataset is required');
    const dict = await loadDataset(values.dataset, {
      ...dataLoadOptions(values, 'ner_tags', label),
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
