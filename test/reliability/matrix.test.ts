/**
 * The bad-input and fault matrix (issue 16; docs/reliability.md): what a user can get wrong or
 * what can go wrong around tokentag, stage by stage, and what tokentag must do about it — a
 * clear error (non-zero exit, a message naming the file / line / flag and what was expected, no
 * stack trace, nothing half-written) or a correct result. It ends by printing its counts.
 *
 * Cases run in this process through the dispatcher where they can, in a child process where
 * they need one (a long command line, a closed pipe), and through the real launcher
 * (bin/tokentag.js) for signals.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../../src/data/rng.ts';
import { decodeUtf8 } from '../../src/data/text.ts';
import { InputError } from '../../src/errors.ts';
import { writeSyntheticConll } from '../../src/data/synthetic-files.ts';
import { exportOnnx, loadTokenClassifier, saveTokenClassifier } from '../../src/models/index.ts';
import { isCompleteCheckpoint, latestCheckpoint, listCheckpoints, readCheckpoint } from '../../src/train/checkpoint.ts';
import { makeTinyModel } from '../helpers/tiny-model.ts';
import {
  alive,
  childrenOf,
  cli,
  cliProcess,
  expectClearError,
  expectCorrect,
  killLaunched,
  launch,
  ROOT,
  scratchPackage,
  snapshot,
  summary,
  tally,
  waitUntil,
} from './harness.ts';

let root = '';
let model = ''; // a tiny trained-looking model: labels O, B-PER, I-PER, B-LOC, I-LOC; vocab 100
let data = ''; // synthetic CoNLL-2003-style splits
let perLoc = ''; // one CoNLL file with the tiny model's labels (sorted: another order than the model's)
let launcher = '';
const at = (...p: string[]) => path.join(root, ...p);
/** A fresh copy of the tiny model to break. */
const modelCopy = (name: string) => {
  fs.cpSync(model, at(name), { recursive: true });
  return at(name);
};
const TINY = ['--model', 'bert-tiny', '--vocab-size', '120', '--batch-size', '4'];
/** A case that hangs (writing into /proc used to) fails instead of holding the suite. */
const CASE_TIMEOUT = 60_000;

/**
 * A small tmpfs at `name` (a full disk, a read-only file system), or null — the case skipped,
 * saying why — where the machine does not let the test mount one (not root, a container).
 */
function mountTmpfs(t: { skip(message: string): void }, name: string, options: string): string | null {
  const mnt = at(name);
  fs.mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mnt], { stdio: 'ignore' });
    return mnt;
  } catch {
    t.skip(`mounting a tmpfs (${options}) is not allowed here`);
    return null;
  }
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-matrix-'));
  model = await makeTinyModel(at('model'));
  data = at('data');
  await writeSyntheticConll(data, { train: 40, validation: 8, test: 8 });
  perLoc = at('per-loc.txt');
  fs.writeFileSync(perLoc, 'Ada B-PER\nLovelace I-PER\nlived O\nin O\nNew B-LOC\nLondon I-LOC\n\nAlan B-PER\nTuring I-PER\nwent O\nto O\nParis B-LOC\n\n');
  launcher = scratchPackage(at('pkg'));
});

after(() => {
  killLaunched();
  fs.rmSync(root, { recursive: true, force: true });
});

// ---- data -----------------------------------------------------------------------------------

describe('data', { timeout: CASE_TIMEOUT }, () => {
  it('a --dataset that does not exist', async () => {
    expectClearError(await cli('train', ...TINY, '--dataset', at('nope'), '--output-dir', at('o-data1')), { code: 1, mentions: [at('nope'), 'no such file or directory'] });
  });

  it('a label column the dataset does not have', async () => {
    expectClearError(await cli('train', ...TINY, '--dataset', data, '--label-column', 'pos_tags', '--output-dir', at('o-data2')), {
      code: 1,
      mentions: ["label column 'pos_tags'", '--label-column'],
    });
  });

  it('a dataset file with invalid UTF-8 names the file and line', async () => {
    const f = at('bad-utf8.txt');
    fs.writeFileSync(f, Buffer.concat([Buffer.from('Ada B-PER\nLo'), Buffer.from([0xff]), Buffer.from('velace I-PER\n\n')]));
    expectClearError(await cli('train', ...TINY, '--dataset', f, '--output-dir', at('o-data3')), { code: 1, mentions: [`${f}:2`, 'UTF-8'] });
  });

  it('a split "file" that is a directory', async () => {
    const dir = at('ds-dir');
    fs.mkdirSync(path.join(dir, 'train.txt'), { recursive: true });
    expectClearError(await cli('train', ...TINY, '--dataset', dir, '--output-dir', at('o-ds1')), { code: 1, mentions: [path.join(dir, 'train.txt'), 'is a directory, expected a file'] });
  });

  it('a split file that is a broken symbolic link', async () => {
    const dir = at('ds-link');
    fs.mkdirSync(dir);
    fs.symlinkSync(at('gone.txt'), path.join(dir, 'train.txt'));
    expectClearError(await cli('train', ...TINY, '--dataset', dir, '--output-dir', at('o-ds2')), { code: 1, mentions: [path.join(dir, 'train.txt'), `is a symbolic link to ${at('gone.txt')}, which does not exist`] });
    expectClearError(await cli('evaluate', '--model', model, '--dataset', path.join(dir, 'train.txt')), { code: 1, mentions: ['which does not exist'] });
  });

  it('a split file that is a FIFO (reading it would never end)', async () => {
    const dir = at('ds-fifo');
    fs.mkdirSync(dir);
    execFileSync('mkfifo', [path.join(dir, 'train.txt')]);
    expectClearError(await cli('train', ...TINY, '--dataset', dir, '--output-dir', at('o-ds3')), { code: 1, mentions: [path.join(dir, 'train.txt'), 'is not a regular file'] });
  });

  it('a split file that cannot be read (permissions)', async () => {
    const dir = at('ds-perm');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(data, 'train.txt'), path.join(dir, 'train.txt'));
    fs.chmodSync(path.join(dir, 'train.txt'), 0o000);
    // root reads anything: run the command as nobody then (the scratch directory must be traversable).
    const asRoot = process.getuid?.() === 0;
    if (asRoot) for (const d of [root, dir]) fs.chmodSync(d, 0o755);
    const r = await cliProcess(['data', 'inspect', '--dataset', dir], asRoot ? { uid: 65534 } : {});
    expectClearError(r, { code: 1, mentions: [path.join(dir, 'train.txt'), 'cannot be read: permission denied'] });
  });

  it('a data file too large for one string is not called invalid UTF-8', async () => {
    const bytes = Buffer.alloc(540 * 1024 * 1024, 0x61); // valid UTF-8, one character more than a string can hold
    let message = '';
    try {
      decodeUtf8(bytes, 'big.txt');
    } catch (e) {
      message = `tokentag: ${(e as Error).message}`;
      if (!(e instanceof InputError)) message += `\n    at ${(e as Error).stack}`;
    }
    expectClearError({ code: 1, out: '', err: message }, { code: 1, mentions: ['big.txt: is too large to read as one text', 'split it'] });
    assert.doesNotMatch(message, /invalid UTF-8/);
  });

  it('a line of 400,000 columns: the message says what is wrong in a few lines, not megabytes', async () => {
    const f = at('giant.txt');
    fs.writeFileSync(f, `Ada ${Array(400_000).fill('B-PER').join(' ')}\n\n`);
    expectClearError(await cli('train', ...TINY, '--dataset', f, '--output-dir', at('o-data4')), { code: 1, mentions: [`${f}:1`, '400001 columns', 'more characters)'] });
  });
});

// ---- tokenizer ------------------------------------------------------------------------------

describe('tokenizer', { timeout: CASE_TIMEOUT }, () => {
  it('a tokenizer.json of the wrong shape says which field is wrong', async () => {
    const dir = modelCopy('tok-shape');
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({ version: '1.0', model: { type: 'WordPiece', vocab: ['[UNK]', 'a'] } }));
    expectClearError(await cli('evaluate', '--model', dir, '--dataset', perLoc, '--split', 'train'), {
      code: 1,
      mentions: [path.join(dir, 'tokenizer.json'), '"model.vocab" of a WordPiece model must be an object of token → id, found an array'],
    });
  });

  it('a tokenizer.json that is not JSON', async () => {
    const dir = modelCopy('tok-json');
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": ');
    expectClearError(await cli('predict', '--model', dir, 'Ada Lovelace'), { code: 1, mentions: [path.join(dir, 'tokenizer.json'), 'not valid JSON'] });
  });

  it("a tokenizer with ids beyond the model's vocabulary is refused before ONNX Runtime sees them", async () => {
    const dir = modelCopy('tok-vocab');
    const { config, params } = loadTokenClassifier(dir);
    const emb = params.get('bert.embeddings.word_embeddings.weight')!;
    params.set('bert.embeddings.word_embeddings.weight', { ...emb, dims: [30, emb.dims[1]!], data: emb.data.slice(0, 30 * emb.dims[1]!) });
    saveTokenClassifier(dir, { ...config, vocabSize: 30 }, params);
    const r = await cli('predict', '--model', dir, 'Ada Lovelace lived in London');
    expectClearError(r, { code: 1, mentions: ["the model's vocab_size is 30", 'not the one this model was trained with'] });
    assert.doesNotMatch(r.err, /Gather/);
  });

  it('fine-tuning weights that came without their tokenizer', async () => {
    const dir = modelCopy('tok-none');
    for (const f of ['tokenizer.json', 'vocab.txt']) fs.rmSync(path.join(dir, f), { force: true });
    expectClearError(await cli('train', '--model', dir, '--dataset', perLoc, '--output-dir', at('o-tok4')), { code: 1, mentions: [dir, 'no tokenizer'] });
  });
});

// ---- model files ----------------------------------------------------------------------------

describe('model files', { timeout: CASE_TIMEOUT }, () => {
  it('a config.json that is not JSON (predict)', async () => {
    const dir = modelCopy('cfg-json');
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": "bert",');
    expectClearError(await cli('predict', '--model', dir, 'Ada'), { code: 1, mentions: [path.join(dir, 'config.json'), 'not valid JSON'] });
  });

  it('a config.json that is a JSON array (evaluate)', async () => {
    const dir = modelCopy('cfg-array');
    fs.writeFileSync(path.join(dir, 'config.json'), '[1, 2]');
    expectClearError(await cli('evaluate', '--model', dir, '--dataset', perLoc, '--split', 'train'), {
      code: 1,
      mentions: [path.join(dir, 'config.json'), 'expected a JSON object'],
    });
  });

  it('weights that are NaN are refused, naming the tensor', async () => {
    const dir = modelCopy('nan');
    const { config, params } = loadTokenClassifier(dir);
    (params.get('classifier.weight')!.data as Float32Array)[3] = NaN;
    saveTokenClassifier(dir, config, params);
    expectClearError(await cli('evaluate', '--model', dir, '--dataset', perLoc, '--split', 'train'), {
      code: 1,
      mentions: [path.join(dir, 'model.safetensors'), '"classifier.weight"', 'not a finite number'],
    });
  });

  it('a head whose size disagrees with config.json says so (not "pass ignoreMismatchedSizes")', async () => {
    const dir = modelCopy('head');
    const raw = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    raw.id2label = { 0: 'O', 1: 'B-PER', 2: 'I-PER' };
    raw.label2id = { O: 0, 'B-PER': 1, 'I-PER': 2 };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(raw));
    const r = await cli('predict', '--model', dir, 'Ada');
    expectClearError(r, { code: 1, mentions: ['config.json has 3 labels', 'config.json and the weights disagree'] });
    assert.doesNotMatch(r.err, /ignoreMismatchedSizes/);
  });

  it('a model directory that does not exist', async () => {
    expectClearError(await cli('predict', '--model', at('no-model'), 'Ada'), { code: 1, mentions: [at('no-model')] });
  });

  it('a stale onnx/model.onnx: the weights are run instead, with a note', async () => {
    const dir = modelCopy('stale');
    exportOnnx(dir);
    const { config, params } = loadTokenClassifier(dir);
    const w = params.get('classifier.weight')!.data as Float32Array;
    for (let i = 0; i < w.length; i++) w[i] = -w[i]!;
    saveTokenClassifier(dir, config, params);
    const viaDir = await cli('predict', '--model', dir, '--sessions', '1', 'Ada Lovelace lived in London');
    fs.rmSync(path.join(dir, 'onnx'), { recursive: true });
    const viaWeights = await cli('predict', '--model', dir, '--sessions', '1', 'Ada Lovelace lived in London');
    assert.match(viaDir.err, /note: .*model\.onnx was exported from other weights/);
    expectCorrect(viaDir.code === 0 && viaDir.out === viaWeights.out, 'predict ran the stale export');
  });
});

// ---- CLI values -----------------------------------------------------------------------------

describe('CLI values', { timeout: CASE_TIMEOUT }, () => {
  // --max-steps keeps a case short even when the code under test fails to refuse it (a later --max-steps wins).
  const train = (...a: string[]) => cli('train', ...TINY, '--max-steps', '2', '--dataset', data, ...a);
  for (const [flag, value, mention] of [
    ['--seed', '1e30', '--seed must be from 0 to 4294967295'],
    ['--seed', '2.5', '--seed expects an integer'],
    ['--threads', '100000', '--threads must be from 1 to'],
    ['--epochs', '0', '--epochs must be a number > 0'],
    ['--learning-rate', 'fast', "--learning-rate expects a number, got 'fast'"],
    ['--lr-scheduler', 'exponential', '--lr-scheduler must be one of linear, constant, constant_with_warmup, cosine'],
    ['--max-steps', '1e300', '--max-steps expects an integer of at most 2^53'],
    ['--batch-size', '0', '--batch-size must be at least 1'],
    ['--word-dropout', '1.5', '--word-dropout must be in [0, 1)'],
  ] as const) {
    it(`train ${flag} ${value}`, async () => {
      const r = await train(flag, value, '--output-dir', at('o-values'));
      expectClearError(r, { mentions: [mention] });
      assert.ok(!fs.existsSync(at('o-values')), 'nothing written');
      assert.doesNotMatch(r.out, /dataset: /, 'refused before loading the data');
    });
  }

  it('an unknown flag: exit 2 with the help hint', async () => {
    expectClearError(await cli('train', '--frobnicate'), { code: 2, mentions: ["Unknown option '--frobnicate'", "tokentag train --help"] });
  });

  it('--output-dir that is a file', async () => {
    const f = at('a-file');
    fs.writeFileSync(f, 'keep me\n');
    const before = snapshot(f);
    expectClearError(await train('--output-dir', f), { code: 1, mentions: [`--output-dir ${f}`, 'is a file, expected a directory'], intact: before });
  });

  it('--output-dir under a file', async () => {
    expectClearError(await train('--output-dir', path.join(at('a-file'), 'run')), { code: 1, mentions: [`${at('a-file')} is a file`] });
  });

  it('--output-dir in /proc', async () => {
    expectClearError(await train('--output-dir', '/proc/tokentag-run'), { code: 1, mentions: ['--output-dir /proc/tokentag-run', 'cannot write there'] });
  });

  it('export onnx --output in /proc (Node\'s recursive mkdir used to loop for ever there)', async () => {
    const r = await cliProcess(['export', 'onnx', '--model', model, '--output', '/proc/tokentag-x/model.onnx'], { killAfterMs: 30_000 });
    expectClearError(r, { code: 1, mentions: ['cannot create /proc/tokentag-x'] });
  });

  it('--output-dir on a read-only file system', async (t) => {
    const mnt = mountTmpfs(t, 'ro', 'ro,size=64k');
    if (!mnt) return;
    try {
      expectClearError(await train('--output-dir', path.join(mnt, 'run')), { code: 1, mentions: ['cannot write there', 'read-only file system'] });
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('a disk that fills up during training: the checkpoint is named, nothing half-written', async (t) => {
    const mnt = mountTmpfs(t, 'full-train', 'size=256k');
    if (!mnt) return;
    try {
      const out = path.join(mnt, 'run');
      const r = await train('--max-steps', '2', '--save-strategy', 'steps', '--save-steps', '1', '--eval-strategy', 'no', '--output-dir', out);
      expectClearError(r, { code: 1, mentions: [`cannot write checkpoint ${path.join(out, 'checkpoint-1')}: no space left on the device`] });
      assert.deepEqual(fs.readdirSync(out), [], 'no half-written checkpoint, no temporary directory');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it("a used --output-dir with someone's files is refused, the files untouched", async () => {
    const dir = at('used');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), '{"mine": true}\n');
    const before = snapshot(dir);
    expectClearError(await train('--max-steps', '1', '--output-dir', dir), { code: 1, mentions: [`--output-dir ${dir} is not empty`, '--overwrite-output-dir', 'choose another --output-dir'], intact: before });
  });

  it('an --output-dir holding an earlier run is refused, naming resume and overwrite', async () => {
    const dir = at('earlier');
    const first = await train('--max-steps', '2', '--save-strategy', 'steps', '--save-steps', '1', '--eval-strategy', 'no', '--output-dir', dir);
    assert.equal(first.code, 0, first.err);
    const before = snapshot(dir);
    expectClearError(await train('--max-steps', '2', '--output-dir', dir), {
      code: 1,
      mentions: ['holds an earlier training run', '--resume-from-checkpoint', '--overwrite-output-dir'],
      intact: before,
    });
  });

  it("Hugging Face's spellings: --overwrite_output_dir trains into a used directory (other files kept); --resume_from_checkpoint is named as typed", async () => {
    const dir = at('used-hf');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
    const r = await train('--max-steps', '1', '--eval-strategy', 'no', '--save-strategy', 'no', '--output_dir', dir, '--overwrite_output_dir');
    assert.equal(r.code, 0, r.err);
    expectCorrect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8') === 'mine\n' && fs.existsSync(path.join(dir, 'model.safetensors')), 'the model was saved beside the untouched notes.txt');
    expectClearError(await train('--output_dir', at('o-none-hf'), '--resume_from_checkpoint'), { code: 1, mentions: ['--resume_from_checkpoint: no complete checkpoint'] });
  });

  it('--resume-from-checkpoint where there is none', async () => {
    expectClearError(await train('--output-dir', at('o-none'), '--resume-from-checkpoint'), { code: 1, mentions: ['--resume-from-checkpoint', 'no complete checkpoint'] });
  });

  it('--resume-from-checkpoint on an incomplete checkpoint', async () => {
    const dir = at('o-partial', 'checkpoint-3');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    expectClearError(await train('--output-dir', at('o-partial'), '--resume-from-checkpoint', dir), { code: 1, mentions: [dir, 'not a complete checkpoint', 'optimizer.safetensors'] });
  });
});

// ---- training faults ------------------------------------------------------------------------

describe('training faults', { timeout: CASE_TIMEOUT }, () => {
  it("labels in another order than the model's: mapped by name (learning rate 0 predicts as before)", async () => {
    const out = at('ft-order');
    const r = await cli('train', '--model', model, '--dataset', perLoc, '--max-steps', '1', '--learning-rate', '0', '--output-dir', out, '--save-strategy', 'no');
    assert.equal(r.code, 0, r.err);
    const input = at('words.jsonl');
    fs.writeFileSync(input, ['Ada Lovelace lived in London', 'Alan Turing met Ada in Zürich'].map((s) => JSON.stringify({ tokens: s.split(' ') })).join('\n') + '\n');
    const a = await cli('predict', '--model', model, '--input', input, '--format', 'conll', '--sessions', '1');
    const b = await cli('predict', '--model', out, '--input', input, '--format', 'conll', '--sessions', '1');
    expectCorrect(a.code === 0 && a.out === b.out, 'the fine-tuned head permuted the labels');
  });

  it('another label count without --ignore-mismatched-sizes names the flag', async () => {
    const f = at('org.txt');
    fs.writeFileSync(f, 'Acme B-ORG\nRobotics I-ORG\nhired O\nAda B-PER\n\n');
    const r = await cli('train', '--model', model, '--dataset', f, '--max-steps', '1', '--output-dir', at('o-count'));
    expectClearError(r, { code: 1, mentions: ["the model's head has 5 labels", 'pass --ignore-mismatched-sizes'] });
    assert.doesNotMatch(r.err, /ignoreMismatchedSizes/);
  });

  it("a label 'O-X' (seqeval reads it as O, the pipeline as an entity) is refused by train and evaluate alike", async () => {
    const f = at('ox.txt');
    fs.writeFileSync(f, 'Ada B-PER\nLovelace I-PER\nsaid O-X\n\n');
    expectClearError(await cli('evaluate', '--model', model, '--dataset', f, '--split', 'train'), { code: 1, mentions: ["the ner_tags label 'O-X' is not a tag", 'rename it'] });
    expectClearError(await cli('train', ...TINY, '--dataset', f, '--output-dir', at('o-ox')), { code: 1, mentions: ["the ner_tags label 'O-X' is not a tag"] });
  });

  it('evaluate on a dataset with a label the model does not know', async () => {
    const f = at('org-eval.txt');
    fs.writeFileSync(f, 'Acme B-ORG\nhired O\nAda B-PER\n\n');
    expectClearError(await cli('evaluate', '--model', model, '--dataset', f, '--split', 'train'), {
      code: 1,
      mentions: ["label 'B-ORG' is not one of the model's labels (O, B-PER, I-PER, B-LOC, I-LOC)"],
    });
  });

  it('a diverging run stops with the last good checkpoint, named with the CLI flag', async () => {
    const out = at('o-nan');
    const r = await cli('train', ...TINY, '--dataset', data, '--learning-rate', '1e12', '--max-grad-norm', '0', '--max-steps', '30', '--save-strategy', 'steps', '--save-steps', '1', '--eval-strategy', 'no', '--output-dir', out);
    expectClearError(r, { code: 1, mentions: [/the loss is NaN at step \d+/, 'resume from it with --resume-from-checkpoint'] });
    assert.doesNotMatch(r.err, /resumeFromCheckpoint/);
    for (const c of listCheckpoints(out)) assert.ok(isCompleteCheckpoint(c.dir), c.dir);
  });

  it('resuming with another --batch-size names the flag', async () => {
    const out = at('o-resume');
    assert.equal((await cli('train', ...TINY, '--dataset', data, '--max-steps', '2', '--save-strategy', 'steps', '--save-steps', '1', '--eval-strategy', 'no', '--output-dir', out)).code, 0);
    const r = await cli('train', '--model', 'bert-tiny', '--vocab-size', '120', '--batch-size', '8', '--dataset', data, '--max-steps', '3', '--eval-strategy', 'no', '--output-dir', out, '--resume-from-checkpoint');
    expectClearError(r, { code: 1, mentions: ['cannot resume', '--batch-size 4 → 8'] });
  });

  it("a second run with --overwrite-output-dir: the earlier run's checkpoints do not count against --save-total-limit", async () => {
    const out = at('o-again');
    const common = [...TINY, '--dataset', data, '--save-strategy', 'steps', '--save-steps', '1', '--eval-strategy', 'no', '--save-total-limit', '2', '--output-dir', out];
    assert.equal((await cli('train', ...common, '--max-steps', '6')).code, 0);
    const r = await cli('train', ...common, '--max-steps', '2', '--overwrite-output-dir');
    assert.equal(r.code, 0, r.err);
    const steps = listCheckpoints(out).map((c) => c.step);
    expectCorrect(JSON.stringify(steps) === '[1,2]', `the new run kept checkpoints ${JSON.stringify(steps)}`);
  });
});

// ---- predict I/O ----------------------------------------------------------------------------

describe('predict I/O', { timeout: CASE_TIMEOUT }, () => {
  it('a 40 KB text on the command line (ONNX Runtime used to segfault on long command lines)', async () => {
    const text = 'Ada Lovelace lived in London . '.repeat(1300);
    const r = await cliProcess(['predict', '--model', model, '--sessions', '1', '--aggregation', 'simple', text]);
    expectCorrect(r.code === 0 && Array.isArray(JSON.parse(r.out)), `exit ${r.code ?? r.signal}: ${r.err.slice(0, 300)}`);
  });

  it('a reader that goes away (| head): a quiet exit 141, no EPIPE stack trace', async () => {
    const input = at('many.txt');
    fs.writeFileSync(input, 'Ada Lovelace lived in London\n'.repeat(3000));
    const r = await cliProcess(['predict', '--model', model, '--sessions', '1', '--input', input, '--input-format', 'text'], { stdoutTo: 'closed' });
    expectCorrect(r.code === 141 && r.err === '', `exit ${r.code ?? r.signal}: ${r.err.slice(0, 300)}`);
  });

  it('--input that does not exist', async () => {
    expectClearError(await cli('predict', '--model', model, '--input', at('missing.txt')), { code: 1, mentions: [`--input ${at('missing.txt')}: no such file or directory`] });
  });

  it('--input that is a directory, or a FIFO', async () => {
    expectClearError(await cli('predict', '--model', model, '--input', root), { code: 1, mentions: [`--input ${root}: is a directory`] });
    const fifo = at('in.fifo');
    execFileSync('mkfifo', [fifo]);
    expectClearError(await cli('predict', '--model', model, '--input', fifo), { code: 1, mentions: [`--input ${fifo}: is not a regular file`] });
  });

  it('--input with invalid UTF-8 is refused as the data loaders refuse it (not turned into U+FFFD)', async () => {
    const f = at('bad-input.txt');
    fs.writeFileSync(f, Buffer.concat([Buffer.from('Ada Lovelace\nLo'), Buffer.from([0xc3, 0x28]), Buffer.from('ndon\n')]));
    const out = at('bad-input.jsonl');
    expectClearError(await cli('predict', '--model', model, '--input', f, '--output', out), { code: 1, mentions: [`${f}:2: invalid UTF-8`] });
    assert.ok(!fs.existsSync(out), 'no output');
  });

  it('--output onto a directory', async () => {
    expectClearError(await cli('predict', '--model', model, '--output', root, 'Ada'), { code: 1, mentions: [`--output ${root}: is a directory, expected a file name`] });
  });

  it('--output is written whole or not at all: a bad line 301 leaves the old output as it was', async () => {
    const input = at('301.jsonl');
    fs.writeFileSync(input, `${Array(300).fill('{"text": "Ada Lovelace lived in London"}').join('\n')}\n{"text": 42}\n`);
    const out = at('301-out.jsonl');
    fs.writeFileSync(out, 'the previous predictions\n');
    const before = snapshot(root);
    expectClearError(await cli('predict', '--model', model, '--sessions', '1', '--input', input, '--output', out), { code: 1, mentions: [`${input}:301`, 'expected an object with "text"'], intact: before });
  });

  it('a disk that fills up under --output: said plainly (not ERR_STREAM_DESTROYED), nothing half-written', async (t) => {
    const mnt = mountTmpfs(t, 'full-predict', 'size=64k');
    if (!mnt) return;
    try {
      const input = at('many-texts.txt');
      fs.writeFileSync(input, 'Ada Lovelace lived in London\n'.repeat(400));
      const out = path.join(mnt, 'pred.jsonl');
      expectClearError(await cli('predict', '--model', model, '--sessions', '1', '--input', input, '--input-format', 'text', '--output', out), { code: 1, mentions: [`--output ${out}: cannot write there: no space left on the device; nothing was written`] });
      assert.deepEqual(fs.readdirSync(mnt), [], 'no temporary file left on the full disk');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  for (const [flag, value, mention] of [
    ['--threads', '100000', '--threads must be from 1 to'],
    ['--sessions', '1000', '--sessions must be from 1 to'],
  ] as const) {
    it(`predict ${flag} ${value} (it used to hang)`, async () => {
      expectClearError(await cli('predict', '--model', model, flag, value, 'Ada'), { code: 2, mentions: [mention, 'core'] });
    });
  }
});

// ---- signals --------------------------------------------------------------------------------

describe('signals to the launched tokentag train', { skip: process.platform === 'linux' ? false : 'the launcher re-executes train only on Linux', concurrency: 3, timeout: 120_000 }, () => {
  const TRAINING = /\{'loss': /;
  const args = (out: string) => ['train', ...TINY, '--epochs', '30', '--logging-steps', '2', '--eval-strategy', 'no', '--dataset', data, '--output-dir', out];

  async function stops(name: string, send: (pid: number) => void, code: number, message: RegExp) {
    const out = at(`sig-${name}`);
    const l = launch(launcher, args(out));
    await l.waitFor(TRAINING);
    send(l.p.pid!);
    const e = await l.exited;
    const saved = /checkpoint saved in (\S+)\./.exec(e.stderr)?.[1];
    assert.match(e.stderr, message);
    assert.doesNotMatch(e.stderr, /Quitting without a checkpoint/);
    assert.match(e.stderr, /Resume with: tokentag train .*--resume-from-checkpoint/);
    expectCorrect(e.code === code && saved !== undefined && isCompleteCheckpoint(saved) && latestCheckpoint(out) === saved, `exit ${e.code ?? e.signal}, checkpoint ${saved}:\n${e.stderr}`);
  }

  it('SIGINT to the launcher: the step finishes, a checkpoint is saved, exit 130', () => stops('int', (pid) => process.kill(pid, 'SIGINT'), 130, /Interrupted: finishing the current step/));
  it('Ctrl-C in a terminal (the whole process group): one stop, exit 130', () => stops('group', (pid) => process.kill(-pid, 'SIGINT'), 130, /Interrupted: finishing/));
  it('SIGTERM to the launcher: saved, exit 143', () => stops('term', (pid) => process.kill(pid, 'SIGTERM'), 143, /Terminated \(SIGTERM\): finishing the current step/));
  it('SIGHUP to the launcher: saved, exit 129', () => stops('hup', (pid) => process.kill(pid, 'SIGHUP'), 129, /Hung up \(SIGHUP\): finishing the current step/));
  it('SIGTERM to the trainer itself: saved, exit 143', () => stops('term-child', (pid) => process.kill(childrenOf(pid)[0]!, 'SIGTERM'), 143, /Terminated \(SIGTERM\)/));

  it('SIGKILL to the launcher: no orphan, the trainer saves a checkpoint and exits', async () => {
    const out = at('sig-kill-parent');
    const l = launch(launcher, args(out));
    await l.waitFor(TRAINING);
    const [child] = childrenOf(l.p.pid!);
    assert.ok(child, 'the launcher runs train in a child process');
    process.kill(l.p.pid!, 'SIGKILL');
    await l.exited;
    const gone = await waitUntil(() => !alive(child!), 60_000);
    const saved = latestCheckpoint(out);
    expectCorrect(gone && saved !== null && isCompleteCheckpoint(saved), `trainer ${gone ? 'exited' : 'still running'}, checkpoint ${saved}`);
  });

  it('SIGKILL to the trainer: the launcher says so and exits 137', async () => {
    const l = launch(launcher, args(at('sig-kill-child')));
    await l.waitFor(TRAINING);
    process.kill(childrenOf(l.p.pid!)[0]!, 'SIGKILL');
    const e = await l.exited;
    expectClearError({ code: e.code, out: e.stdout, err: e.stderr }, { code: 137, mentions: ['tokentag: the training process was killed by SIGKILL'] });
  });

  it('SIGTERM before training begins: exit 143 at once, nothing written', async () => {
    const out = at('sig-early');
    const l = launch(launcher, args(out));
    await l.waitFor(/dataset: /);
    process.kill(l.p.pid!, 'SIGTERM');
    const e = await l.exited;
    expectCorrect(e.code === 143 && (!fs.existsSync(out) || fs.readdirSync(out).length === 0), `exit ${e.code ?? e.signal}`);
  });
});

// ---- crash safety ---------------------------------------------------------------------------

describe('crash safety of checkpoints', { timeout: 180_000 }, () => {
  it('kill at random (seeded) over checkpoint writes and rotation: every checkpoint left is complete; resuming reaches the uninterrupted weights', async () => {
    const child = path.join(ROOT, 'test', 'reliability', 'fixtures', 'train-child.ts');
    const run = (out: string, resume: boolean, killAfterMs: number | null) =>
      new Promise<{ signal: NodeJS.Signals | null; out: string }>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', child, out, ...(resume ? ['resume'] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let armed = killAfterMs;
        p.stdout.on('data', (d) => {
          stdout += d;
          if (armed !== null && stdout.includes('started')) {
            setTimeout(() => p.kill('SIGKILL'), armed);
            armed = null;
          }
        });
        p.stderr.on('data', (d) => (stderr += d));
        p.on('error', reject);
        p.on('exit', (code, signal) => (code !== 0 && code !== null ? reject(new Error(stderr)) : resolve({ signal, out: stdout })));
      });
    const expected = /done ([0-9a-f]+)/.exec((await run(at('kill-reference'), false, null)).out)![1];
    const out = at('kill-loop');
    const rng = new Rng(16);
    let kills = 0;
    let allComplete = true;
    for (let i = 0; i < 4; i++) {
      const r = await run(out, latestCheckpoint(out) !== null, 20 + rng.nextInt(400));
      if (r.signal === 'SIGKILL') kills++;
      for (const c of listCheckpoints(out)) {
        if (!isCompleteCheckpoint(c.dir)) allComplete = false;
        else readCheckpoint(c.dir);
      }
      if (r.signal === null) break;
    }
    assert.ok(kills >= 1, 'at least one run was killed');
    const final = /done ([0-9a-f]+)/.exec((await run(out, latestCheckpoint(out) !== null, null)).out)![1];
    const debris = fs.readdirSync(out).filter((n) => n.startsWith('.'));
    if (!allComplete) tally.lostData++;
    expectCorrect(allComplete && final === expected && debris.length === 0, `complete: ${allComplete}, weights ${final === expected ? 'equal' : 'differ'}, debris: ${debris.join(', ')}`);
  });
});

// ---- the counts -----------------------------------------------------------------------------

it('summary', (t) => {
  const line = summary();
  t.diagnostic(line);
  assert.equal(tally.stackTraces + tally.silentWrong + tally.lostData, 0, line);
  assert.equal(tally.cases, tally.clearErrors + tally.correctResults, line);
});
