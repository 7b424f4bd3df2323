import type { Command } from '../command.ts';
import { dataInspectCommand } from './data-inspect.ts';
import { exportOnnxCommand } from './export-onnx.ts';
import { scoreCommand } from './score.ts';
import { trainCommand } from './train.ts';
import { evaluateCommand } from './evaluate.ts';
import { predictCommand } from './predict.ts';

/** Every sub-command, in the order `tokentag --help` lists them. */
export const commands: Command[] = [dataInspectCommand, scoreCommand, exportOnnxCommand, trainCommand, evaluateCommand, predictCommand];
