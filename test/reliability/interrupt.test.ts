// Stop requests of `tokentag train` (src/cli/interrupt.ts): one event however many ways it
// arrives; a second Ctrl-C quits. (The signals themselves, through the real launcher, are in the matrix.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeFor, watchStopRequests } from '../../src/cli/interrupt.ts';

const relay = (sig: string) => process.emit('tokentag:signal' as 'SIGINT', sig as 'SIGINT');

test('a Ctrl-C that arrives directly and relayed by the launcher is one stop; the next Ctrl-C quits at once', () => {
  const seen: string[] = [];
  const exits: number[] = [];
  const w = watchStopRequests({ onStop: (c) => seen.push(c), onQuit: () => seen.push('quit'), exit: (c) => exits.push(c) });
  try {
    process.emit('SIGINT', 'SIGINT');
    relay('SIGINT');
    assert.deepEqual(seen, ['SIGINT']);
    assert.equal(w.signal.aborted, true);
    assert.equal(w.cause, 'SIGINT');
    relay('SIGINT'); // the second Ctrl-C, relayed first this time
    assert.deepEqual(seen, ['SIGINT', 'quit']);
    assert.deepEqual(exits, [130]);
  } finally {
    w.dispose();
  }
});

test('SIGTERM repeated (a scheduler signalling every process, then the launcher relaying) stops once and never quits', () => {
  const seen: string[] = [];
  const exits: number[] = [];
  const w = watchStopRequests({ onStop: (c) => seen.push(c), onQuit: () => seen.push('quit'), exit: (c) => exits.push(c) });
  try {
    process.emit('SIGTERM', 'SIGTERM');
    relay('SIGTERM');
    relay('SIGTERM');
    process.emit('SIGHUP', 'SIGHUP');
    assert.deepEqual(seen, ['SIGTERM']);
    assert.deepEqual(exits, []);
  } finally {
    w.dispose();
  }
});

test("the launcher's end stops training as SIGHUP would; exit codes are 128 + the signal", () => {
  const seen: string[] = [];
  const w = watchStopRequests({ onStop: (c) => seen.push(c), onQuit: () => {}, exit: () => {} });
  try {
    process.emit('tokentag:launcher-exit' as 'SIGINT', 'SIGINT');
    assert.deepEqual(seen, ['launcher-exit']);
  } finally {
    w.dispose();
  }
  assert.deepEqual(['SIGINT', 'SIGTERM', 'SIGHUP', 'launcher-exit'].map((c) => exitCodeFor(c as 'SIGINT')), [130, 143, 129, 129]);
  assert.equal(process.listenerCount('SIGINT'), 0, 'dispose() removes the handlers');
});
