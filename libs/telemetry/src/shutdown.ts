import { performance } from 'node:perf_hooks';
import type { Logger } from './logger.js';

export interface ShutdownOptions {
  logger: Logger;
  /** The whole hook sequence must finish within this, or the process is forced out with exit(1). */
  graceMs: number;
  /** Default process.exit; tests inject a spy. */
  exit?: (code: number) => void;
}

interface Hook {
  name: string;
  fn: () => void | Promise<void>;
}

const FORCED = Symbol('forced');

/**
 * Graceful shutdown for one process: an AbortSignal for servers and workers,
 * hooks that undo startup in reverse order, a grace period after which the
 * process is forced out, and signal/crash handlers that lead to exit.
 */
export class Shutdown {
  private readonly controller = new AbortController();
  private readonly log: Logger;
  private readonly graceMs: number;
  private readonly exitFn: (code: number) => void;
  private readonly hooks: Hook[] = [];
  private sequence: Promise<void> | undefined;
  private exitCode = 0;
  private exited = false;

  constructor(opts: ShutdownOptions) {
    this.log = opts.logger.child({ component: 'shutdown' });
    this.graceMs = opts.graceMs;
    this.exitFn = opts.exit ?? ((code) => process.exit(code));
  }

  /** Aborted (with the reason) as soon as shutdown begins. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get started(): boolean {
    return this.sequence !== undefined;
  }

  /**
   * Registers a hook. Hooks run in reverse registration order, so register
   * each resource right after creating it. A hook registered after shutdown
   * began runs at once.
   */
  onShutdown(name: string, fn: () => void | Promise<void>): void {
    if (this.sequence !== undefined) {
      this.log.warn({ hook: name }, 'hook registered during shutdown; running it now');
      void this.runHook({ name, fn });
      return;
    }
    this.hooks.push({ name, fn });
  }

  /**
   * Starts shutdown (idempotent: later calls return the same promise). Resolves
   * when every hook has run, or when the grace period ran out, in which case
   * the exit function has been called with 1.
   */
  trigger(reason: string): Promise<void> {
    this.sequence ??= this.run(reason);
    return this.sequence;
  }

  /**
   * SIGTERM/SIGINT: shut down, then exit(0); a second signal exits(1) at once.
   * uncaughtException/unhandledRejection: logged as fatal, shut down, exit(1).
   * Returns a function that removes the handlers.
   */
  installSignalHandlers(): () => void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.started) {
        this.log.warn({ signal }, 'second signal during shutdown; exiting now');
        this.finish(1);
        return;
      }
      this.log.info({ signal }, 'shutdown requested');
      void this.trigger(`signal ${signal}`).then(() => this.finish(this.exitCode));
    };
    const onCrash =
      (kind: string) =>
      (err: unknown): void => {
        this.log.fatal({ err }, kind);
        this.exitCode = 1;
        if (!this.started) void this.trigger(kind).then(() => this.finish(1));
      };
    const onException = onCrash('uncaughtException');
    const onRejection = onCrash('unhandledRejection');
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    return () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    };
  }

  private async run(reason: string): Promise<void> {
    const started = performance.now();
    this.log.info({ reason, hooks: this.hooks.length, graceMs: this.graceMs }, 'shutdown started');
    this.controller.abort(new Error(`shutdown: ${reason}`));
    let current = '(none)';
    const hooks = [...this.hooks].reverse();
    const all = (async () => {
      for (const hook of hooks) {
        current = hook.name;
        await this.runHook(hook);
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<typeof FORCED>((resolve) => {
      timer = setTimeout(() => resolve(FORCED), this.graceMs);
    });
    const outcome = await Promise.race([all, grace]);
    clearTimeout(timer);
    const durationMs = Math.round(performance.now() - started);
    if (outcome === FORCED) {
      this.log.error(
        { reason, graceMs: this.graceMs, pendingHook: current },
        'shutdown grace period exceeded; forcing exit',
      );
      this.finish(1);
      return;
    }
    this.log.info({ reason, durationMs }, 'shutdown complete');
  }

  private async runHook(hook: Hook): Promise<void> {
    const started = performance.now();
    try {
      await hook.fn();
      this.log.info({ hook: hook.name, durationMs: Math.round(performance.now() - started) }, 'shutdown hook done');
    } catch (err) {
      this.log.error({ err, hook: hook.name }, 'shutdown hook failed');
    }
  }

  private finish(code: number): void {
    if (this.exited) return;
    this.exited = true;
    this.log.flush();
    this.exitFn(code);
  }
}
