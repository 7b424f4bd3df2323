/**
 * What `run_ner.py` does after `trainer.train()`, for `tokentag train` and the library alike:
 * save the model and the tokenizer (and export ONNX again if the directory had an export),
 * `train_results.json` and `trainer_state.json`, evaluate
 * (`eval_results.json`), predict the test split word by word (`predict_results.json`,
 * `predictions.txt`, a seqeval report), and draft the model card (`README.md`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelCardData } from '../hub/card.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { seqevalCompute, type SeqevalResult } from '../metrics/evaluate.ts';
import { classificationReportText } from '../metrics/report.ts';
import { exportOnnx, ONNX_MODEL_NAME, ONNX_SUBFOLDER } from '../models/export.ts';
import type { LogRecord } from './checkpoint.ts';
import { evaluateModel } from './evaluate.ts';
import { mergeEvaluation, type PreparedSplits } from './prepare.ts';
import type { Trainer, TrainOutput } from './trainer.ts';

export interface RunOutputsOptions {
  /** The run's encoded splits ({@link setupTraining}'s `splits`). */
  readonly splits: PreparedSplits;
  /** Sentences in the train split (`train_samples`). */
  readonly trainSamples: number;
  /** Evaluate on the validation split after training (when it exists). Default true. */
  readonly doEval?: boolean;
  /** Predict the test split (when it exists). Default true. */
  readonly doPredict?: boolean;
  /** What the card says beyond the Trainer's own (base model, Hub dataset). */
  readonly card?: Pick<ModelCardData, 'baseModel' | 'dataset'>;
  /** Lines for the user, as they happen. */
  readonly say?: (line: string) => void;
}

export interface RunOutputs {
  /** The test split's scores, when it was predicted. */
  readonly test?: SeqevalResult;
  /** Its seqeval classification report (4 digits). */
  readonly report?: string;
  /** The last evaluation in the log. */
  readonly lastEval?: LogRecord;
  /** The model card written to `README.md`. */
  readonly card: ModelCardData;
}

/** See the module comment. Disposes of the Trainer's session at the end. */
export async function saveRunOutputs(trainer: Trainer, result: TrainOutput, o: RunOutputsOptions): Promise<RunOutputs> {
  const outputDir = trainer.args.outputDir;
  const labels = trainer.labelNames;
  const { validation, test } = o.splits;
  await trainer.saveModel(outputDir);
  // An ONNX export in the directory would now describe other weights: it is made again from the
  // new ones (predict would pass over a stale one anyway).
  const onnxFile = join(outputDir, ONNX_SUBFOLDER, ONNX_MODEL_NAME);
  if (existsSync(onnxFile)) {
    const r = exportOnnx(outputDir, { externalData: existsSync(`${onnxFile}_data`) });
    o.say?.(`re-exported ${r.file} from the new weights (it was there from before)`);
  }
  const { train_tokens_per_second: _tokens, ...hfTrainMetrics } = result.metrics; // tokentag's extra figure stays out of HF's file
  trainer.saveMetrics('train', { ...hfTrainMetrics, train_samples: o.trainSamples });
  trainer.saveState();
  if ((o.doEval ?? true) && validation) {
    trainer.saveMetrics('eval', { ...(await trainer.evaluate()), eval_samples: validation.sentences });
  }
  let testMetrics: SeqevalResult | undefined;
  let report: string | undefined;
  if ((o.doPredict ?? true) && test) {
    const r = await evaluateModel(await trainer.session(), test.evalFeatures, labels, { batchSize: trainer.args.perDeviceEvalBatchSize, padTokenId: trainer.config.padTokenId ?? 0 });
    const merged = mergeEvaluation(test, r, labels);
    testMetrics = seqevalCompute(merged.predictions, merged.references);
    report = classificationReportText(merged.references, merged.predictions, { digits: 4 });
    trainer.saveMetrics('predict', {
      predict_loss: r.loss ?? NaN,
      predict_precision: testMetrics.overall_precision,
      predict_recall: testMetrics.overall_recall,
      predict_f1: testMetrics.overall_f1,
      predict_accuracy: testMetrics.overall_accuracy,
      predict_runtime: Math.round(r.runtime * 1e4) / 1e4,
      predict_samples_per_second: Math.round((test.sentences / r.runtime) * 1e3) / 1e3,
      predict_steps_per_second: Math.round((r.steps / r.runtime) * 1e3) / 1e3,
    });
    // run_ner.py's predictions.txt: each test sentence's word labels, space-separated.
    writeFileAtomic(join(outputDir, 'predictions.txt'), merged.predictions.map((p) => `${p.join(' ')}\n`).join(''));
  }
  await trainer.dispose();
  const lastEval = [...trainer.logHistory].reverse().find((r) => r.eval_f1 !== undefined);
  // The card's scores: the test split's when there is one, else the last evaluation's (the Trainer's default).
  const card = trainer.create_model_card({
    ...o.card,
    ...(testMetrics
      ? { results: { split: 'test', metrics: { precision: testMetrics.overall_precision, recall: testMetrics.overall_recall, f1: testMetrics.overall_f1, accuracy: testMetrics.overall_accuracy } } }
      : {}),
  });
  return { ...(testMetrics ? { test: testMetrics, report: report! } : {}), ...(lastEval ? { lastEval } : {}), card };
}
