/**
 * Checks tokentag's Hub cache against Python's `huggingface_hub`, both ways, with the fake Hub of
 * the tests (nothing leaves the machine). Needs a Python with huggingface_hub (default
 * /work/venv/bin/python; set PYTHON). CI does not run it; the layout it prints is what
 * test/helpers/hub-fixtures.ts `writePythonCache` writes and src/hub/cache.ts describes.
 *
 *   npx tsx scripts/hub-python-layout.ts
 *
 * 1. Python's hf_hub_download fills a cache (a model with a nested file, a renamed repo, a missing
 *    file, a dataset file at refs/convert/parquet); the tree is printed; tokentag then resolves
 *    the model from it offline, with no request.
 * 2. tokentag downloads a model into an empty cache; Python then loads every file offline
 *    (HF_HUB_OFFLINE=1), and `scan_cache_dir` reports no warnings.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveModel } from '../src/hub/model.ts';
import { startFakeHub } from '../test/helpers/hub-server.ts';

const PYTHON = process.env.PYTHON ?? '/work/venv/bin/python';
const run = promisify(execFile);

function tree(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) lines.push(`l ${rel} -> ${fs.readlinkSync(p)}`);
      else if (e.isDirectory()) {
        lines.push(`d ${rel}/`);
        walk(p);
      } else {
        const content = rel.includes(`refs${path.sep}`) ? ` ${JSON.stringify(fs.readFileSync(p, 'utf8'))}` : '';
        lines.push(`f ${rel} (${fs.statSync(p).size} bytes)${content}`);
      }
    }
  };
  walk(dir);
  return lines.join('\n');
}

const hub = await startFakeHub();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-pylayout-'));
try {
  const files = {
    'config.json': '{"model_type": "bert", "vocab_size": 5}\n',
    'tokenizer.json': '{}\n',
    'model.safetensors': new Uint8Array(2000).fill(7),
    'onnx/model.onnx': new Uint8Array(100).fill(1),
  };
  const commit = hub.addRepo('org/tiny', files);
  hub.aliases.set('tiny', 'org/tiny');
  hub.addRepo('org/data', { 'README.md': '---\n---\n' }, { type: 'dataset' });
  hub.commit('org/data', { 'default/train/0000.parquet': new Uint8Array(12) }, { type: 'dataset', branch: 'refs/convert/parquet' });

  // 1. Python writes, tokentag reads.
  const pyHome = path.join(root, 'python');
  const env = { ...process.env, HF_ENDPOINT: hub.url, HF_HOME: pyHome, HF_HUB_DISABLE_TELEMETRY: '1', HF_TOKEN: '' };
  const py = `
from huggingface_hub import hf_hub_download
for f in ['config.json', 'tokenizer.json', 'model.safetensors', 'onnx/model.onnx']:
    hf_hub_download('org/tiny', f)
hf_hub_download('tiny', 'config.json')
try:
    hf_hub_download('org/tiny', 'vocab.txt')
except Exception as e:
    print('missing file:', type(e).__name__)
hf_hub_download('org/data', 'default/train/0000.parquet', repo_type='dataset', revision='refs/convert/parquet')
`;
  console.log((await run(PYTHON, ['-c', py], { env })).stdout.trim());
  console.log(`\n# the cache Python wrote (commit ${commit})\n${tree(path.join(pyHome, 'hub'))}\n`);
  const before = hub.requests.length;
  const r = await resolveModel('org/tiny', { endpoint: hub.url, cacheDir: path.join(pyHome, 'hub'), token: null, offline: true });
  console.log(`tokentag reads it offline: ${r.dir} (${r.weights}), requests made: ${hub.requests.length - before}`);

  // 2. tokentag writes, Python reads offline.
  const tsHome = path.join(root, 'tokentag');
  const t = await resolveModel('org/tiny', { endpoint: hub.url, cacheDir: path.join(tsHome, 'hub'), token: null, purpose: 'weights' });
  console.log(`\n# the cache tokentag wrote\n${tree(path.join(tsHome, 'hub'))}\n`);
  const check = `
from huggingface_hub import hf_hub_download, scan_cache_dir
for f in ${JSON.stringify(t.files)}:
    p = hf_hub_download('org/tiny', f)
    print('python finds', f, '->', p)
info = scan_cache_dir()
print('scan_cache_dir: repos', [r.repo_id for r in info.repos], 'warnings', info.warnings)
`;
  const out = await run(PYTHON, ['-c', check], { env: { ...env, HF_HOME: tsHome, HF_HUB_OFFLINE: '1' } });
  console.log(out.stdout.trim());
} finally {
  await hub.close();
  fs.rmSync(root, { recursive: true, force: true });
}
