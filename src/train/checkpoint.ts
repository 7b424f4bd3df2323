/**
 * Training checkpoints: `checkpoint-<step>/` in the output directory, holding
 *
 *   config.json, model.safetensors (+ tokenizer files)  the model, Hugging Face layout
 *   optimizer.safetensors      AdamW moments: `exp_avg/<param>`, `exp_avg_sq/<param>`, and the step
 *   scheduler.json             the schedule (type, base lr, warm-up, total) and its position
 *   rng_state.json             data seed, epoch and position in the epoch, dropout seed
 *   trainer_state.json         Hugging Face's TrainerState fields (global_step, log_history, …)
 *   training_args.json         the TrainingArguments, snake_case
 *
 * A `checkpoint-<step>` directory is always complete, by construction:
 * - it is built in a hidden temporary directory beside its final name (`.checkpoint-<step>.tmp-<pid>-<tag>`),
 *   every file fsynced, and renamed into place only when complete;
 * - it is deleted (rotation, `--overwrite-output-dir`) by renaming it away first
 *   (`.checkpoint-<step>.deleting-<pid>-<tag>`), then removing that: a crash mid-delete leaves
 *   debris under a hidden name, never a half-deleted checkpoint;
 * - replacing a checkpoint of the same step renames the old one aside (`.old-`), the new one in,
 *   then removes the old one; a crash between the two renames leaves the old one aside, which
 *   `cleanCheckpointDebris` puts back.
 * `cleanCheckpointDebris` (the Trainer calls it before training) removes what a killed process
 * left behind; `isCompleteCheckpoint` checks the files, so even a directory made by someone else
 * is only resumed from when it has them all.
 *
 * Dropout needs no saved generator state: the training graphs take their dropout masks as
 * inputs, drawn for each step from (seed, step, micro-batch, site) alone
 * (engine/dropout-masks.ts). A resumed run sees the same data in the same order, continues from
 * the same weights, moments and schedule position, and draws the same masks: it reproduces the
 * uninterrupted run bit for bit, dropout included.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tensor, type TensorData } from '../engine/dtype.ts';
import type { TrainingState } from '../engine/runtime.ts';
import { TokentagError } from '../errors.ts';
import { fsyncDir, writeFileSynced } from '../io/atomic.ts';
import { describeFsError, fsErrorCodeOf, makeDirs } from '../io/writable.ts';
import { loadTokenClassifier, saveTokenClassifier, type SaveOptions } from '../models/checkpoint.ts';
import type { ModelConfig } from '../models/config.ts';
import { readSafetensors, writeSafetensors } from '../models/safetensors.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import type { ScheduleJson } from './schedule.ts';

export const OPTIMIZER_NAME = 'optimizer.safetensors';
export const SCHEDULER_NAME = 'scheduler.json';
export const RNG_STATE_NAME = 'rng_state.json';
export const TRAINER_STATE_NAME = 'trainer_state.json';
export const TRAINING_ARGS_NAME = 'training_args.json';
export const CHECKPOINT_PREFIX = 'checkpoint-';
const CHECKPOINT_RE = /^checkpoint-(\d+)$/;
/** Hidden directories of a checkpoint being written, deleted or replaced, tagged with the writing process. */
const DEBRIS_RE = /^\.checkpoint-(\d+)\.(tmp|deleting|old)-(\d+)-[0-9a-f]+$/;
/** The files every checkpoint has (tokenizer files are optional). */
export const CHECKPOINT_FILES = ['config.json', 'model.safetensors', 'optimizer.safetensors', 'scheduler.json', 'rng_state.json', 'training_args.json', 'trainer_state.json'] as const;

export class TrainerCheckpointError extends TokentagError {
  override name = 'TrainerCheckpointError';
}

/** One log record (`state.log_history` entry): plain numbers by name. */
export type LogRecord = Readonly<Record<string, number>>;

/** Hugging Face's `TrainerState` as `trainer_state.json` stores it. */
export interface TrainerStateJson {
  best_global_step: number | null;
  best_metric: number | null;
  best_model_checkpoint: string | null;
  epoch: number;
  eval_steps: number;
  global_step: number;
  is_hyper_param_search: boolean;
  is_local_process_zero: boolean;
  is_world_process_zero: boolean;
  log_history: LogRecord[];
  logging_steps: number;
  max_steps: number;
  num_input_tokens_seen: number;
  num_train_epochs: number;
  save_steps: number;
  stateful_callbacks: Record<string, unknown>;
  total_flos: number;
  train_batch_size: number;
  trial_name: null;
  trial_params: null;
}

/** Where the data loader stands (`rng_state.json`). */
export interface DataPosition {
  /** The seed of the data order (each epoch's order is drawn from seed + epoch). */
  seed: number;
  /** 0-based epoch the next batch comes from. */
  epoch: number;
  /** Micro-batches of that epoch already consumed. */
  batchesDone: number;
  /** Number of training features (the data order depends on it). */
  numFeatures: number;
  /** Whether the end-of-epoch evaluation / save of `epoch` already ran. */
  epochEndDone: boolean;
  /** The dropout seed the session was created with (the masks of a step follow from it and the step). */
  dropoutSeed: number;
  /** Whether resuming reproduces the dropout masks: true since masks are drawn per step (false in older checkpoints). */
  dropoutRestorable: boolean;
}

/** `scheduler.json`: the schedule and the number of scheduler steps taken. */
export interface SchedulerJson extends ScheduleJson {
  /** Scheduler steps taken (= optimizer steps); the next step's lr is base_lr · f(step). */
  step: number;
  /** `get_last_lr()`: the learning rate of the next step. */
  last_lr: number;
}

export interface CheckpointContents {
  config: ModelConfig;
  /** Weights, moments and the optimizer step, as `TrainingSession.state()` gives them. */
  state: TrainingState;
  scheduler: SchedulerJson;
  rng: DataPosition;
  trainerState: TrainerStateJson;
  trainingArgs: Record<string, unknown>;
}

/** Writes `exp_avg/<name>`, `exp_avg_sq/<name>` and the step (metadata and a 0-d int64 `step` tensor). */
function optimizerTensors(state: TrainingState): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  for (const [name, t] of state.expAvg) out.set(`exp_avg/${name}`, t);
  for (const [name, t] of state.expAvgSq) out.set(`exp_avg_sq/${name}`, t);
  out.set('step', tensor('int64', [], BigInt64Array.of(BigInt(state.step))));
  return out;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** `checkpoint-<step>` in `outputDir`. */
export function checkpointDir(outputDir: string, step: number): string {
  return path.join(outputDir, `${CHECKPOINT_PREFIX}${step}`);
}

/**
 * Writes `checkpoint-<step>/` atomically (built in a temporary directory, renamed into place).
 * An existing checkpoint of the same step is replaced only once the new one is complete.
 * Returns the checkpoint's path.
 */
export function writeCheckpoint(outputDir: string, c: CheckpointContents, opts: SaveOptions = {}): string {
  const step = c.state.step;
  const target = checkpointDir(outputDir, step);
  makeDirs(outputDir);
  const tag = debrisTag();
  const tmp = path.join(outputDir, `.${CHECKPOINT_PREFIX}${step}.tmp-${tag}`);
  fs.mkdirSync(tmp);
  try {
    saveTokenClassifier(tmp, c.config, c.state.params, opts);
    writeSafetensors(path.join(tmp, OPTIMIZER_NAME), optimizerTensors(c.state), { format: 'tokentag', step: String(step) });
    writeFileSynced(path.join(tmp, SCHEDULER_NAME), json(c.scheduler));
    writeFileSynced(path.join(tmp, RNG_STATE_NAME), json(c.rng));
    writeFileSynced(path.join(tmp, TRAINING_ARGS_NAME), json(c.trainingArgs));
    // Last: a checkpoint with trainer_state.json is complete (like HF, which writes it last too).
    writeFileSynced(path.join(tmp, TRAINER_STATE_NAME), json(c.trainerState));
    fsyncDir(tmp);
    if (fs.existsSync(target)) {
      const old = path.join(outputDir, `.${CHECKPOINT_PREFIX}${step}.old-${tag}`);
      fs.renameSync(target, old);
      fs.renameSync(tmp, target);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // The file system's answer (a full disk, a read-only mount) is what the user needs, named
    // for the checkpoint, not for the temporary file inside it that failed.
    const code = fsErrorCodeOf(e);
    if (code) throw new TrainerCheckpointError(`cannot write checkpoint ${target}: ${describeFsError({ code })}; the checkpoints written before are intact`, { cause: e });
    if (e instanceof TokentagError) throw e;
    throw new TrainerCheckpointError(`cannot write checkpoint ${target}: ${(e as Error).message}`, { cause: e });
  }
  fsyncDir(outputDir);
  return target;
}

function readJson<T>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new TrainerCheckpointError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); is this a complete training checkpoint?`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new TrainerCheckpointError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads everything `writeCheckpoint` wrote, validating the optimizer tensors against the weights. */
export function readCheckpoint(dir: string): CheckpointContents {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new TrainerCheckpointError(`${dir}: no such checkpoint directory`);
  const trainerState = readJson<TrainerStateJson>(path.join(dir, TRAINER_STATE_NAME));
  const scheduler = readJson<SchedulerJson>(path.join(dir, SCHEDULER_NAME));
  const rng = readJson<DataPosition>(path.join(dir, RNG_STATE_NAME));
  const trainingArgs = readJson<Record<string, unknown>>(path.join(dir, TRAINING_ARGS_NAME));
  const { config, params } = loadTokenClassifier(dir);
  const optFile = path.join(dir, OPTIMIZER_NAME);
  if (!fs.existsSync(optFile)) throw new TrainerCheckpointError(`${optFile}: missing; the checkpoint has no optimizer state to resume from`);
  const { tensors } = readSafetensors(optFile);
  const expAvg = new Map<string, TensorData<'float32'>>();
  const expAvgSq = new Map<string, TensorData<'float32'>>();
  for (const [name, t] of tensors) {
    if (name === 'step') continue;
    const m = /^(exp_avg|exp_avg_sq)\/(.+)$/.exec(name);
    if (!m) throw new TrainerCheckpointError(`${optFile}: unexpected tensor '${name}'`);
    if (!params.has(m[2])) throw new TrainerCheckpointError(`${optFile}: '${name}' belongs to no parameter of the model`);
    if (t.dtype !== 'float32') throw new TrainerCheckpointError(`${optFile}: '${name}' is ${t.dtype}, expected float32`);
    (m[1] === 'exp_avg' ? expAvg : expAvgSq).set(m[2], t as TensorData<'float32'>);
  }
  const stepT = tensors.get('step');
  const step = stepT ? Number(stepT.data[0]) : trainerState.global_step;
  if (step !== trainerState.global_step || scheduler.step !== step) {
    throw new TrainerCheckpointError(`${dir}: inconsistent steps (optimizer ${step}, trainer_state ${trainerState.global_step}, scheduler ${scheduler.step})`);
  }
  return { config, state: { step, params, expAvg, expAvgSq }, scheduler, rng, trainerState, trainingArgs };
}

/** The `checkpoint-<step>` directories of `outputDir`, oldest (lowest step) first. */
export function listCheckpoints(outputDir: string): { step: number; dir: string }[] {
  if (!fs.existsSync(outputDir)) return [];
  return fs
    .readdirSync(outputDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && CHECKPOINT_RE.test(e.name))
    .map((e) => ({ step: Number(CHECKPOINT_RE.exec(e.name)![1]), dir: path.join(outputDir, e.name) }))
    .sort((a, b) => a.step - b.step);
}

/** Whether `dir` has every file of a checkpoint (`CHECKPOINT_FILES`). */
export function isCompleteCheckpoint(dir: string): boolean {
  return CHECKPOINT_FILES.every((f) => fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.isFile() === true);
}

/** The newest complete checkpoint of `outputDir` (Hugging Face's `get_last_checkpoint`), or null. */
export function latestCheckpoint(outputDir: string): string | null {
  const all = listCheckpoints(outputDir).filter((c) => isCompleteCheckpoint(c.dir));
  return all.length ? all[all.length - 1].dir : null;
}

const debrisTag = () => `${process.pid}-${randomBytes(6).toString('hex')}`;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return false; // ours: nothing of this process is in flight when it cleans
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes a checkpoint directory crash-safely: renamed to a hidden name first (atomic), then
 * removed. A crash at any point leaves either the whole checkpoint or hidden debris.
 */
export function removeCheckpoint(dir: string): void {
  const aside = path.join(path.dirname(dir), `.${path.basename(dir)}.deleting-${debrisTag()}`);
  fs.renameSync(dir, aside);
  fsyncDir(path.dirname(dir));
  fs.rmSync(aside, { recursive: true, force: true });
}

/**
 * Tidies what a killed run left in `outputDir`: temporary and half-deleted checkpoint
 * directories of processes that are gone are removed, and a checkpoint set aside while being
 * replaced is put back when its replacement never arrived. Returns the names removed.
 */
export function cleanCheckpointDebris(outputDir: string): string[] {
  if (!fs.existsSync(outputDir)) return [];
  const removed: string[] = [];
  for (const e of fs.readdirSync(outputDir, { withFileTypes: true })) {
    const m = DEBRIS_RE.exec(e.name);
    if (!m || !e.isDirectory() || processAlive(Number(m[3]))) continue;
    const dir = path.join(outputDir, e.name);
    const target = checkpointDir(outputDir, Number(m[1]));
    if (m[2] === 'old' && !fs.existsSync(target) && isCompleteCheckpoint(dir)) {
      fs.renameSync(dir, target);
      continue;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(e.name);
  }
  if (removed.length) fsyncDir(outputDir);
  return removed;
}

/**
 * Hugging Face's `_rotate_checkpoints`: keeps the newest `limit` checkpoints and deletes the
 * oldest; the best checkpoint is never deleted (and with `limit` 1 and a best checkpoint that
 * is not the newest, two are kept). Returns the deleted directories.
 */
export function rotateCheckpoints(outputDir: string, limit: number | null, bestCheckpoint: string | null = null): string[] {
  if (limit === null || limit <= 0) return [];
  const all = listCheckpoints(outputDir);
  const best = bestCheckpoint ? path.resolve(bestCheckpoint) : null;
  let keep = limit;
  if (best && keep === 1 && all.length > 0 && path.resolve(all[all.length - 1].dir) !== best) keep = 2;
  if (all.length <= keep) return [];
  // Order as HF does: the best moves to the end of the list (kept), then the oldest go.
  const ordered = all.filter((c) => path.resolve(c.dir) !== best);
  const bestEntry = all.find((c) => path.resolve(c.dir) === best);
  if (bestEntry) ordered.push(bestEntry);
  const toDelete = ordered.slice(0, Math.max(0, ordered.length - keep));
  for (const c of toDelete) removeCheckpoint(c.dir);
  return toDelete.map((c) => c.dir);
}

/** The Node store: `checkpoint-<step>/` directories in `outputDir` (the functions above). */
export function directoryCheckpointStore(outputDir: string, opts: SaveOptions = {}): CheckpointStore {
  return {
    nameFor: (step) => checkpointDir(outputDir, step),
    write: (contents) => writeCheckpoint(outputDir, contents, opts),
    read: (dir) => readCheckpoint(dir),
    params: (dir) => loadTokenClassifier(dir).params,
    latest: () => latestCheckpoint(outputDir),
    rotate: (limit, best) => rotateCheckpoints(outputDir, limit, best),
    same: (a, b) => path.resolve(a) === path.resolve(b),
  };
}
