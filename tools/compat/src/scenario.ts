import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

// One client's session against the cluster: a list of steps, each a command
// line run without a shell (arguments are passed as is, so keys with spaces
// and non-ASCII bytes reach the client exactly), then an optional check of
// what it printed or of the file it downloaded.

/** Longest a single client command may take: a 24 MiB multipart upload on a loaded 2-core machine. */
const STEP_TIMEOUT_MS = 180_000;
/** Output kept per stream for the report. */
const OUTPUT_TAIL_CHARS = 600;

export interface StepOutput {
  stdout: string;
  stderr: string;
}

export interface Step {
  name: string;
  argv: string[];
  /** Environment of this step only, over the scenario's. */
  env?: Record<string, string>;
  /** Returns why the step failed, or undefined when what it did is right. */
  check?: (out: StepOutput) => Promise<string | undefined> | string | undefined;
}

export interface Scenario {
  client: string;
  /** Prints the client's version (its first line is reported). */
  versionArgv: string[];
  env: Record<string, string>;
  steps: Step[];
}

export interface StepResult {
  step: string;
  ok: boolean;
  seconds: number;
  error?: string;
}

export interface ScenarioResult {
  client: string;
  version: string;
  passed: number;
  failed: number;
  steps: StepResult[];
}

function run(argv: string[], env: Record<string, string>): Promise<StepOutput & { code: number | string | null }> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...env }, timeout: STEP_TIMEOUT_MS, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : ((error as NodeJS.ErrnoException & { code?: number | string }).code ?? null);
        resolve({ stdout, stderr, code });
      },
    );
  });
}

const tail = (s: string): string => (s.length > OUTPUT_TAIL_CHARS ? `…${s.slice(-OUTPUT_TAIL_CHARS)}` : s).trim();

/** Runs every step in order (a failed step does not stop the others: later ones say what still works). */
export async function runScenario(s: Scenario): Promise<ScenarioResult> {
  const v = await run(s.versionArgv, s.env);
  const version = (v.stdout || v.stderr).split('\n')[0]?.trim() ?? '';
  const steps: StepResult[] = [];
  for (const step of s.steps) {
    const t0 = performance.now();
    const out = await run(step.argv, { ...s.env, ...step.env });
    let error: string | undefined;
    if (out.code !== 0) error = `exit ${String(out.code)}: ${tail(out.stderr || out.stdout)}`;
    else if (step.check) error = await step.check(out);
    steps.push({ step: step.name, ok: error === undefined, seconds: (performance.now() - t0) / 1000, error });
  }
  const passed = steps.filter((r) => r.ok).length;
  return { client: s.client, version, passed, failed: steps.length - passed, steps };
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A check that `downloaded` holds exactly the bytes of `original`. */
export function sameBytes(original: string, downloaded: string): () => Promise<string | undefined> {
  return async () => {
    const [a, b] = await Promise.all([sha256Of(original), sha256Of(downloaded).catch(() => 'missing')]);
    return a === b ? undefined : `downloaded ${downloaded} differs from ${original}`;
  };
}

/** A check that the output mentions every one of `names`. */
export function mentions(...names: string[]): (out: StepOutput) => string | undefined {
  return (out) => {
    const missing = names.filter((n) => !out.stdout.includes(n));
    return missing.length === 0 ? undefined : `output lacks ${missing.join(', ')}: ${tail(out.stdout)}`;
  };
}
