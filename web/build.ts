/**
 * Builds the page into a static folder (default web/dist/) with esbuild: the page script
 * (main.ts), the Web Worker that trains (worker.ts), index.html, and onnxruntime-web's
 * WebAssembly files. Host the folder anywhere; serve it with the cross-origin isolation headers
 * (web/serve.ts does) for WebAssembly threads, or it runs on one thread.
 *
 *   npx tsx web/build.ts [--out DIR] [--no-minify]
 *
 * The browser seams, enforced here rather than by checks in the code:
 * - src/engine/ort.ts (onnxruntime-node) is replaced by src/engine/ort-web.ts (onnxruntime-web);
 * - packages that only work in Node (the `tokenizers` binding, onnxruntime-node, worker threads,
 *   the Hub client, Parquet, …) fail the build if anything the page imports reaches them;
 * - Node's built-in modules that shared modules import for their file functions (`node:fs` in
 *   the CoNLL reader, the checkpoint writer, …) become stubs that throw if called: the page
 *   never calls those functions (it reads dropped files and keeps checkpoints in memory). The
 *   build prints which ones were stubbed.
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_OUT = join(ROOT, 'web', 'dist');

const ORT_NODE = join(ROOT, 'src', 'engine', 'ort.ts');
const ORT_WEB = join(ROOT, 'src', 'engine', 'ort-web.ts');

/** Node built-ins that may be imported (for functions the page never calls) and become throwing stubs. */
const STUBBED_BUILTINS = new Set(['fs', 'fs/promises', 'path', 'os', 'crypto', 'buffer', 'zlib', 'url']);
/** Never in a browser bundle. */
const NODE_ONLY = ['onnxruntime-node', 'hyparquet', 'hyparquet-compressors', 'prom-client', 'worker_threads', 'v8', 'vm', 'child_process', 'http', 'https', 'net'];
/**
 * Node-side packages the Trainer's course API imports at its top (the Hub push and model card,
 * `PreTrainedModel.from_pretrained`, the binding's tokenizer files): stubs that throw if called,
 * like the built-ins. The page never calls those paths (it trains a `TrainerModel`, tokenizes
 * with the TypeScript WordPiece and zips its own files); lazy imports in the Trainer would let
 * them go back to NODE_ONLY.
 */
const STUBBED_PACKAGES = new Set(['tokenizers', '@huggingface/hub', 'proper-lockfile', 'yaml']);

function browserSeams(stubbed: Map<string, Set<string>>): esbuild.Plugin {
  return {
    name: 'tokentag-browser-seams',
    setup(build) {
      build.onResolve({ filter: /(^|\/)ort\.ts$/ }, (args) => {
        const path = resolve(args.resolveDir, args.path);
        return path === ORT_NODE ? { path: ORT_WEB } : undefined;
      });
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point' || args.path.startsWith('.') || args.path.startsWith('/')) return undefined;
        const bare = args.path.replace(/^node:/, '');
        const pkg = bare.startsWith('@') ? bare.split('/').slice(0, 2).join('/') : bare.split('/')[0]!;
        if (STUBBED_PACKAGES.has(pkg)) {
          const importers = stubbed.get(pkg) ?? new Set();
          importers.add(args.importer.replace(ROOT, ''));
          stubbed.set(pkg, importers);
          return { path: pkg, namespace: 'node-stub' };
        }
        if (NODE_ONLY.includes(pkg) || NODE_ONLY.includes(bare)) {
          return { errors: [{ text: `${args.path} is Node-only and must not reach the browser bundle (imported by ${args.importer.replace(ROOT, '')}); put the code that needs it behind a seam` }] };
        }
        if (args.path.startsWith('node:') || STUBBED_BUILTINS.has(bare)) {
          if (!STUBBED_BUILTINS.has(bare)) return { errors: [{ text: `${args.path}: no browser stub (imported by ${args.importer.replace(ROOT, '')})` }] };
          const importers = stubbed.get(bare) ?? new Set();
          importers.add(args.importer.replace(ROOT, ''));
          stubbed.set(bare, importers);
          return { path: bare, namespace: 'node-stub' };
        }
        return undefined;
      });
      // CommonJS, so that any named import resolves; every member throws when used.
      build.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({
        contents: `module.exports = new Proxy({}, { get(_, key) {
          if (key === '__esModule' || typeof key === 'symbol') return undefined;
          const f = function () { throw new Error('${args.path}.' + String(key) + ' is not available in a browser'); };
          // A class the code extends or checks with instanceof needs a prototype.
          return new Proxy(f, { construct() { f(); } });
        } });`,
        loader: 'js',
      }));
    },
  };
}

export interface BuildResult {
  readonly outDir: string;
  /** Node built-ins stubbed, with the modules that import them. */
  readonly stubbed: Map<string, Set<string>>;
  readonly bytes: Record<string, number>;
}

export async function buildWeb(outDir = DEFAULT_OUT, opts: { minify?: boolean } = {}): Promise<BuildResult> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'ort'), { recursive: true });
  const stubbed = new Map<string, Set<string>>();
  const result = await esbuild.build({
    entryPoints: { main: join(ROOT, 'web', 'main.ts'), worker: join(ROOT, 'web', 'worker.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // onnxruntime-web's build that loads its WebAssembly glue from `env.wasm.wasmPaths` (ort/).
    conditions: ['onnxruntime-web-use-extern-wasm'],
    minify: opts.minify ?? true,
    sourcemap: true,
    metafile: true,
    logLevel: 'error',
    plugins: [browserSeams(stubbed)],
  });
  cpSync(join(ROOT, 'web', 'index.html'), join(outDir, 'index.html'));
  const ortDist = join(dirname(fileURLToPath(import.meta.resolve('onnxruntime-web'))));
  for (const f of ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) cpSync(join(ortDist, f), join(outDir, 'ort', f));
  const bytes: Record<string, number> = {};
  for (const [file, o] of Object.entries(result.metafile.outputs)) if (!file.endsWith('.map')) bytes[file.replace(`${outDir}/`, '')] = o.bytes;
  return { outDir, stubbed, bytes };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? resolve(process.argv[i + 1]!) : DEFAULT_OUT;
  const r = await buildWeb(out, { minify: !process.argv.includes('--no-minify') });
  for (const [file, n] of Object.entries(r.bytes)) console.log(`${file}: ${(n / 1024).toFixed(0)} KiB`);
  console.log(`stubbed Node built-ins (functions the page never calls): ${[...r.stubbed.keys()].join(', ') || 'none'}`);
  console.log(`built ${r.outDir}`);
}
