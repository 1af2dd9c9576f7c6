/** Base class of every error the test kit throws, so callers can tell kit failures from test failures. */
export class TestkitError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A server binary (etcd, redis-server) is not installed. */
export class BinaryNotFoundError extends TestkitError {}

/** A child process exited, or never became ready, during startProcess(). */
export class ProcessStartError extends TestkitError {
  constructor(
    message: string,
    readonly lastLines: readonly string[],
  ) {
    super(lastLines.length > 0 ? `${message}\n--- last output ---\n${lastLines.join('\n')}` : message);
  }
}

/** waitFor() ran out of time. */
export class WaitTimeoutError extends TestkitError {}

/** Cleanup.run() had one or more failing steps; every step was still attempted. */
export class CleanupError extends TestkitError {
  constructor(readonly errors: readonly unknown[]) {
    super(
      `${errors.length} cleanup step(s) failed: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`,
    );
  }
}
