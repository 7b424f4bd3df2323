/**
 * What `tokentag train` does when asked to stop (docs/reliability.md, "Signals"):
 *
 * - SIGINT (Ctrl-C), SIGTERM (a container or job scheduler stopping it) and SIGHUP (the terminal
 *   closed) all ask for an orderly stop: the current step finishes, a checkpoint is saved, and
 *   the process exits with 128 + the signal's number (130, 143, 129);
 * - a second Ctrl-C quits at once (exit 130), without that checkpoint (the ones already written
 *   are whole: they are renamed into place complete);
 * - the launcher (`bin/tokentag.js`, which runs training in a child process) passes on the
 *   signals sent to it alone, and when it dies (SIGKILL) the child stops as on SIGTERM.
 *
 * A signal can arrive twice for one event: a terminal's Ctrl-C goes to the launcher and the
 * child both, and the launcher passes its copy on. So events are counted per signal and per
 * route, and one event is the larger of the two counts — whatever the timing.
 */
import { constants } from 'node:os';

export type StopCause = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'launcher-exit';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Sig = (typeof SIGNALS)[number];

/** The exit code for a stop: 128 + the signal's number (the launcher's death counts as SIGHUP). */
export function exitCodeFor(cause: StopCause): number {
  return 128 + constants.signals[cause === 'launcher-exit' ? 'SIGHUP' : cause];
}

export interface StopWatch {
  /** Aborted at the first stop request. */
  readonly signal: AbortSignal;
  /** What asked to stop first, or null. */
  readonly cause: StopCause | null;
  /** Stops listening (the default actions of the signals apply again). */
  dispose(): void;
}

export interface StopHandlers {
  /** The first request to stop (the watch's signal is aborted right after). */
  onStop(cause: StopCause): void;
  /** A second Ctrl-C: called, then the process exits with 130. */
  onQuit(): void;
  /** How to exit on a second Ctrl-C; default `process.exit` (tests pass their own). */
  exit?: (code: number) => void;
}

/**
 * Listens for stop requests until `dispose()`. While it listens the signals do not end the
 * process by themselves: the caller stops at a safe point after `signal` fires.
 */
export function watchStopRequests(handlers: StopHandlers): StopWatch {
  const controller = new AbortController();
  const direct = new Map<Sig, number>();
  const relayed = new Map<Sig, number>();
  let cause: StopCause | null = null;
  const events = (sig: Sig) => Math.max(direct.get(sig) ?? 0, relayed.get(sig) ?? 0);

  const request = (c: StopCause) => {
    if (cause === null) {
      cause = c;
      // Writing to a terminal or pipe that went away must not crash the orderly stop.
      for (const s of [process.stdout, process.stderr]) s.on('error', ignore);
      handlers.onStop(c);
      controller.abort(c);
    } else if (c === 'SIGINT' && events('SIGINT') >= 2) {
      handlers.onQuit();
      (handlers.exit ?? process.exit)(exitCodeFor('SIGINT'));
    }
  };
  const count = (counts: Map<Sig, number>, sig: Sig) => {
    counts.set(sig, (counts.get(sig) ?? 0) + 1);
    request(sig);
  };
  const onDirect = SIGNALS.map((sig) => [sig, () => count(direct, sig)] as const);
  const onRelayed = (sig: unknown) => {
    if (SIGNALS.includes(sig as Sig)) count(relayed, sig as Sig);
  };
  const onLauncherExit = () => request('launcher-exit');
  for (const [sig, fn] of onDirect) process.on(sig, fn);
  process.on('tokentag:signal', onRelayed);
  process.on('tokentag:launcher-exit', onLauncherExit);
  return {
    signal: controller.signal,
    get cause() {
      return cause;
    },
    dispose() {
      for (const [sig, fn] of onDirect) process.off(sig, fn);
      process.off('tokentag:signal', onRelayed);
      process.off('tokentag:launcher-exit', onLauncherExit);
    },
  };
}

function ignore(): void {}
