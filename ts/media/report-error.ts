import type { EventEmitter } from 'node:events';
import type { Debugger } from 'debug';

/**
 * Reports an error that must not be swallowed but must not crash the process
 * either: it goes to the emitter's `'error'` listeners, or — when there are
 * none (Node would throw) — to `process.emitWarning`, which prints it. It is
 * always logged through `log`.
 */
export function reportError(emitter: EventEmitter, error: Error, log: Debugger): void {
  log('error: %s', error.message);
  if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
  else process.emitWarning(error);
}
