/**
 * Every code block in README.md and docs/*.md that claims to run, checked:
 *
 * - ```ts blocks are type-checked against the sources (one `tsc` over all of them; `'tokentag'`
 *   and the docs' `./src/…` imports resolve to this checkout). README.md's are also run.
 *   A block whose first line is `// continues the block above` is checked with the blocks
 *   before it in the same file (it uses their names).
 * - ```bash and ```sh blocks run with `bash -e` from the repository root, `tokentag` (and
 *   `npx tokentag`, `./bin/tokentag.js`) being the CLI of this checkout's sources.
 * - A block whose first line is `# not run: <why>` (bash) or `// not run: <why>` (ts) is left
 *   alone; one that starts `# needs network` / `// needs network` (the Hub) is not run, but a
 *   TypeScript one is still type-checked. The markers are visible to readers too. Other languages (console output, JSON,
 *   Python for Python users) are not programs of this project and are not run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';

const ROOT = path.join(import.meta.dirname, '..');
const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

interface Block {
  readonly doc: string;
  /** 1-based line of the block's first line of code. */
  readonly line: number;
  readonly lang: 'ts' | 'bash';
  readonly code: string;
  readonly skip?: string;
  /** Reaches the network: type-checked, never run. */
  readonly network: boolean;
  readonly continues: boolean;
}

const LANGS: Readonly<Record<string, 'ts' | 'bash'>> = { ts: 'ts', typescript: 'ts', bash: 'bash', sh: 'bash', shell: 'bash' };

function blocksOf(doc: string): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, doc), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]!);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !/^```\s*$/.test(lines[j]!)) j++;
    const lang = LANGS[open[1]!];
    if (lang) {
      const code = lines.slice(i + 1, j).join('\n');
      const first = lines[i + 1]?.trim() ?? '';
      const skip = /^(#|\/\/) not run: (.+)$/.exec(first)?.[2];
      const network = /^(#|\/\/) needs network/.test(first);
      out.push({ doc, line: i + 2, lang, code, ...(skip ? { skip } : {}), network, continues: /^\/\/ continues the block above/.test(first) });
    }
    i = j;
  }
  return out;
}

const blocks = DOCS.flatMap(blocksOf);
const tsBlocks = blocks.filter((b) => b.lang === 'ts' && !b.skip);
const bashBlocks = blocks.filter((b) => b.lang === 'bash' && !b.skip && !b.network);

let dir = '';
const fileOf = (b: Block) => `${b.doc.replace(/[/.]/g, '_')}_${b.line}.ts`;

/** A block as a module in `dir` (one level below the root): its imports pointed at this checkout. */
function moduleSource(b: Block): string {
  const inDoc = tsBlocks.filter((o) => o.doc === b.doc);
  let i = inDoc.indexOf(b);
  const parts = [b.code];
  while (inDoc[i]!.continues && i > 0) parts.unshift(inDoc[--i]!.code);
  return `${parts
    .join('\n')
    .replace(/from 'tokentag'/g, "from '../src/index.ts'")
    .replace(/from '\.\/(src|test)\//g, "from '../$1/")}\nexport {};\n`;
}

before(() => {
  dir = fs.mkdtempSync(path.join(ROOT, '.docs-blocks-'));
  for (const b of tsBlocks) fs.writeFileSync(path.join(dir, fileOf(b)), moduleSource(b));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: '../tsconfig.json', compilerOptions: { noEmit: true }, include: ['*.ts'] }),
  );
  // `tokentag` on the PATH: this checkout's CLI, from the sources.
  fs.mkdirSync(path.join(dir, 'bin'));
  const shim = path.join(dir, 'bin', 'tokentag');
  fs.writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" --import tsx "${path.join(ROOT, 'test', 'helpers', 'tokentag-from-sources.ts')}" "$@"\n`);
  fs.chmodSync(shim, 0o755);
});
after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('code blocks in README.md and docs/', () => {
  it('finds the blocks, and every skipped one says why', () => {
    assert.ok(tsBlocks.length >= 20 && bashBlocks.length >= 3, `${tsBlocks.length} TypeScript and ${bashBlocks.length} bash blocks`);
    for (const b of blocks) if (b.skip !== undefined) assert.ok(b.skip.length > 5, `${b.doc}:${b.line}: say why it is not run`);
  });

  it("README's command list is what `tokentag --help` prints", async () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const m = /## The command line\n\n```\n([\s\S]*?)```/.exec(readme);
    assert.ok(m, 'README.md has a "The command line" section with the overview');
    assert.equal(m[1], (await runCli('--help')).out);
  });

  it('every TypeScript block type-checks', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
    const where = new Map(tsBlocks.map((b) => [fileOf(b), `${b.doc}:${b.line}`]));
    const errors = (r.stdout + r.stderr).split('\n').filter((l) => /error TS\d+/.test(l)).map((l) => {
      const m = /([^/\\]+\.ts)\((\d+),\d+\): (.*)$/.exec(l);
      return m && where.has(m[1]!) ? `${where.get(m[1]!)} (line ${m[2]} of the block): ${m[3]}` : l;
    });
    assert.deepEqual(errors, [], `TypeScript errors in the docs' code blocks:\n${errors.join('\n')}`);
  });

  for (const b of tsBlocks.filter((x) => x.doc === 'README.md' && !x.network)) {
    it(`${b.doc}:${b.line} runs`, () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, fileOf(b))], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `${b.doc}:${b.line} failed:\n${r.stderr}`);
    });
  }

  for (const b of bashBlocks) {
    it(`${b.doc}:${b.line} runs`, () => {
      const script = b.code.replace(/\bnpx tokentag\b/g, 'tokentag').replace(/(node )?\.?\/?bin\/tokentag\.js\b/g, 'tokentag');
      const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH}` },
      });
      assert.equal(r.status, 0, `${b.doc}:${b.line} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${r.stderr.slice(-4000)}`);
    });
  }
});
