/**
 * The package as a user gets it: `npm pack`, install the tarball into a fresh project, and use it
 * there from plain JavaScript, from strict TypeScript, and as the `tokentag` command. The install
 * must reach nothing but the npm registry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from '../src/pipeline/index.ts';
import { makeTinyModel } from './helpers/tiny-model.ts';

const ROOT = path.join(import.meta.dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TEXTS = ['Ada Lovelace met Alan Turing in Zürich', 'Paris and London'];

/** npm as a user's shell runs it: none of the `npm_*` variables of the `npm test` around us. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

const APP_MJS = `
import { pipeline, loadDataset, seqevalCompute, Trainer } from 'tokentag';
const [modelDir, dataDir] = process.argv.slice(2);
// Two sessions: one on this thread, one in the worker thread file shipped in dist/.
const ner = await pipeline('ner', { model: modelDir, aggregationStrategy: 'simple', ignoreLabels: [], sessions: 2 });
const entities = await ner(${JSON.stringify(TEXTS)});
await ner.dispose();
const splits = await loadDataset(dataDir);
const test = splits.get('test');
const names = test.labels('ner_tags').names;
const gold = test.toArray().map((row) => row.ner_tags.map((id) => names[id]));
const pred = gold.map((tags) => tags.map(() => 'O'));
const scores = seqevalCompute(pred, gold);
console.log(JSON.stringify({ entities, recall: scores.overall_recall, accuracy: scores.overall_accuracy, trainer: typeof Trainer }));
`;

const APP_TS = `
import { pipeline, loadDataset, seqevalCompute, Trainer, type TokenClassificationPipeline } from 'tokentag';

export async function tag(modelDir: string, dataDir: string): Promise<number> {
  const ner: TokenClassificationPipeline = await pipeline('ner', { model: modelDir, aggregationStrategy: 'first' });
  const entities = await ner('Ada Lovelace lived in London');
  const starts: (number | null)[] = entities.map((e) => e.start);
  await ner.dispose();
  const splits = await loadDataset(dataDir);
  const names: readonly string[] = splits.get('test').labels('ner_tags').names;
  const f1: number = seqevalCompute([['B-PER']], [[names[1]!]]).overall_f1;
  const trainer: typeof Trainer = Trainer;
  return starts.length + f1 + (trainer ? 1 : 0);
}

// The shipped types are real types, not \`any\`: each misuse below must be an error.
// @ts-expect-error: not a strategy
await pipeline('ner', { model: 'm', aggregationStrategy: 'biggest' });
// @ts-expect-error: references must be string sequences
seqevalCompute([['B-PER']], [[1]]);
`;

let work = '';
let tarball = '';
let packed: { files: { path: string }[]; size: number; unpackedSize: number } | undefined;
let project = '';
let modelDir = '';
let dataDir = '';
let installLog = '';

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-package-'));
  // `npm pack` runs `prepare`, which builds dist/ from the sources under test.
  const pack = run(NPM, ['pack', '--json', '--pack-destination', work], ROOT);
  const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[]; size: number; unpackedSize: number }[];
  packed = info[0];
  tarball = path.join(work, info[0]!.filename);

  project = path.join(work, 'consumer');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  // As the README says: without this, onnxruntime-node's install script fetches CUDA libraries
  // from api.nuget.org on Linux x64 (and the install fails where only the registry is reachable).
  run(NPM, ['pkg', 'set', 'allowScripts.onnxruntime-node=false', '--json'], project);
  const install = run(NPM, ['install', tarball, '@types/node@20', '--no-audit', '--no-fund', '--prefer-offline'], project);
  installLog = install.stdout + install.stderr;

  modelDir = await makeTinyModel(path.join(work, 'model'));
  dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir);
  for (const split of ['train', 'test']) {
    fs.writeFileSync(path.join(dataDir, `${split}.txt`), 'Ada B-PER\nLovelace I-PER\nlived O\nin O\nLondon B-LOC\n\nParis B-LOC\n');
  }
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the npm package', () => {
  it('ships the build, the command and the licence, and no sources, tests, fixtures or benchmarks', () => {
    const files = packed!.files.map((f) => f.path);
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'), 'dist/index.{js,d.ts}');
    assert.ok(files.includes('dist/pipeline/session-worker.js'), 'the worker thread file');
    assert.ok(files.includes('bin/tokentag.js') && files.includes('LICENSE') && files.includes('README.md'));
    const stray = files.filter((f) => !/^(dist\/|bin\/tokentag\.js$|package\.json$|README\.md$|LICENSE$)/.test(f));
    assert.deepEqual(stray, []);
    assert.ok(!files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript sources');
  });

  it('installs from the npm registry alone: no download by onnxruntime-node, every package from the registry', () => {
    const registry = execFileSync(NPM, ['config', 'get', 'registry'], { cwd: project, env: cleanEnv(), encoding: 'utf8' }).trim().replace(/\/$/, '');
    const lock = JSON.parse(fs.readFileSync(path.join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
    const outside = Object.entries(lock.packages)
      .filter(([name, p]) => name !== '' && p.resolved && !p.resolved.startsWith(registry) && !p.resolved.startsWith('file:'))
      .map(([name, p]) => `${name}: ${p.resolved}`);
    assert.deepEqual(outside, []);
    // The CUDA provider is the one thing onnxruntime-node's install script would fetch (from NuGet).
    const ortBin = path.join(project, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
    assert.ok(!fs.existsSync(path.join(ortBin, 'libonnxruntime_providers_cuda.so')), `CUDA binaries were downloaded:\n${installLog}`);
  });

  it('a plain .mjs file imports the library and predicts as the sources do (worker thread included)', async () => {
    fs.writeFileSync(path.join(project, 'app.mjs'), APP_MJS);
    const r = run(process.execPath, ['app.mjs', modelDir, dataDir], project);
    const got = JSON.parse(r.stdout) as { entities: unknown; recall: number; accuracy: number; trainer: string };
    const ner = await pipeline('ner', { model: modelDir, aggregationStrategy: 'simple', ignoreLabels: [], sessions: 1 });
    const want = await ner(TEXTS);
    await ner.dispose();
    assert.deepEqual(got.entities, JSON.parse(JSON.stringify(want)));
    assert.equal(got.recall, 0);
    assert.equal(got.accuracy, 2 / 6);
    assert.equal(got.trainer, 'function');
  });

  it('a strict TypeScript file type-checks against the shipped types, which reject misuse', () => {
    fs.writeFileSync(path.join(project, 'app.ts'), APP_TS);
    const tsc = (skipLibCheck: boolean) => {
      const options = { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', noEmit: true, skipLibCheck, types: ['node'] };
      fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['app.ts'] }));
      return spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
    };
    // As `tsc --init` sets it up (skipLibCheck: true).
    const usual = tsc(true);
    assert.equal(usual.status, 0, usual.stdout + usual.stderr);
    // Our own .d.ts files are checked too: the only errors allowed are those of the `tokenizers`
    // binding's index.d.ts, which is malformed upstream (0.23.x), and which we reach through the
    // public `FastTokenizer.binding`.
    const strict = tsc(false);
    const errors = strict.stdout.split('\n').filter((l) => /error TS/.test(l));
    assert.deepEqual(errors.filter((l) => !l.startsWith('node_modules/tokenizers/')), []);
  });

  it('`npx tokentag` runs the command: --help, --version, and a prediction', () => {
    const help = run(NPM, ['exec', '--', 'tokentag', '--help'], project);
    assert.match(help.stdout, /Usage: tokentag <command>/);
    const version = run(NPM, ['exec', '--', 'tokentag', '--version'], project);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), `tokentag ${pkg.version}`);
    const predict = run(NPM, ['exec', '--', 'tokentag', 'predict', '--model', modelDir, '--aggregation', 'simple', '--ignore-labels', '', TEXTS[1]!], project);
    assert.ok(Array.isArray(JSON.parse(predict.stdout)));
  });
});
