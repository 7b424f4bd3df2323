import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { commands } from '../src/cli/commands/index.ts';
import { runCli } from './helpers/cli.ts';

const { version } = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };

describe('tokentag (the dispatcher)', () => {
  it('--version, -V and `<command> --version` print the package version', async () => {
    for (const argv of [['--version'], ['-V'], ['train', '--version'], ['data', 'inspect', '--version']]) {
      const r = await runCli(...argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.equal(r.out, `tokentag ${version}\n`, argv.join(' '));
    }
  });

  it('--help lists every command with its summary; each command loads and has its own help', async () => {
    const r = await runCli('--help');
    assert.equal(r.code, 0);
    for (const c of commands) {
      assert.ok(r.out.includes(`  ${c.path.join(' ')}`) && r.out.includes(c.summary), c.path.join(' '));
      const own = await runCli(...c.path, '--help');
      assert.equal(own.code, 0, c.path.join(' '));
      assert.match(own.out, new RegExp(`tokentag ${c.path.join(' ')}`), c.path.join(' '));
    }
  });

  it('an unknown command is a usage error (exit 2) that lists the commands', async () => {
    const r = await runCli('trian');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command 'trian'/);
    assert.match(r.err, /Commands:/);
  });
});
