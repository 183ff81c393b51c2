import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Request/response over a Node IPC channel (child_process 'ipc'), both ways:
 * the echo benchmark's three processes (bench/echo.ts, the orchestrator;
 * bench/echo-server.ts, the measured echo; bench/echo-load.ts, the callers)
 * talk through it. Messages are plain JSON: `{ id, cmd, args }` asks,
 * `{ reply: id, result }` or `{ reply: id, error }` answers.
 */

/** A child process (parent side) or `process` (child side). */
export interface Endpoint {
  send?(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export type Handler = (args: unknown) => unknown;

interface Ask {
  id: number;
  cmd: string;
  args?: unknown;
}

interface Answer {
  reply: number;
  result?: unknown;
  error?: string;
}

export class Rpc {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; cmd: string }>();
  private failed: Error | null = null;
  private onReady!: () => void;
  /** Resolves when the other side has said `{ ready: true }` (a child, once it has loaded). */
  readonly ready = new Promise<void>((resolve) => (this.onReady = resolve));

  constructor(
    private readonly endpoint: Endpoint,
    private readonly handlers: Record<string, Handler> = {},
    private readonly name = 'peer',
  ) {
    endpoint.on('message', (message: unknown) => this.onMessage(message as Ask | Answer));
  }

  /** Asks the other side to run `cmd`; resolves with its result. */
  call<T>(cmd: string, args?: unknown, timeoutMs = 120_000): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${cmd} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        cmd,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.send({ id, cmd, args });
    });
  }

  /** Fails every call in flight and every later one (the other side is gone). */
  fail(error: Error): void {
    this.failed ??= error;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new Error(`${this.name}: ${p.cmd}: ${error.message}`));
    }
  }

  private send(message: Ask | Answer): void {
    if (!this.endpoint.send) throw new Error(`${this.name}: no IPC channel (start this script from bench/echo.ts)`);
    this.endpoint.send(message);
  }

  private onMessage(message: Ask | Answer | { ready: true }): void {
    if ('ready' in message) {
      this.onReady();
      return;
    }
    if ('reply' in message) {
      const p = this.pending.get(message.reply);
      if (!p) return;
      this.pending.delete(message.reply);
      if (message.error !== undefined) p.reject(new Error(`${this.name}: ${p.cmd}: ${message.error}`));
      else p.resolve(message.result);
      return;
    }
    const handler = this.handlers[message.cmd];
    void (async () => {
      try {
        if (!handler) throw new Error(`unknown command ${message.cmd}`);
        const result = await handler(message.args);
        this.send({ reply: message.id, result: result ?? null });
      } catch (error) {
        this.send({ reply: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  }
}

/** A benchmark child process and its IPC channel. */
export interface Child {
  process: ChildProcess;
  rpc: Rpc;
}

/**
 * Starts `node script ...args`, pinned to `cpu` with taskset (null: not
 * pinned), stderr and stdout on this process's stderr, and an Rpc over its
 * IPC channel that fails every call once it exits. `--no-warnings`: the
 * children count their warnings (VOXRTC_TRACK_UNREAD…) and report them
 * instead of printing one per track. VOXRTC_ECHO_NODE_FLAGS adds Node/V8
 * flags (e.g. '--perf-basic-prof --no-compact-code-space' for perf).
 */
export function startChild(name: string, script: string, cpu: number | null, handlers: Record<string, Handler> = {}, args: string[] = []): Child {
  const node = process.execPath;
  const flags = ['--no-warnings', ...(process.env.VOXRTC_ECHO_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean), script, ...args];
  const child = spawn(cpu !== null ? 'taskset' : node, cpu !== null ? ['-c', String(cpu), node, ...flags] : flags, {
    stdio: ['ignore', 2, 2, 'ipc'],
    env: process.env,
  });
  const rpc = new Rpc(child, handlers, name);
  child.on('exit', (code, signal) => rpc.fail(new Error(`the ${name} exited (${signal ?? `status ${code}`})`)));
  child.on('error', (error) => rpc.fail(error));
  return { process: child, rpc };
}

/** Disconnects a child and waits for it to exit (SIGKILL after 5 s). */
export function stopChild(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.process.kill('SIGKILL');
      resolve();
    }, 5000);
    child.process.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.process.disconnect();
  });
}
