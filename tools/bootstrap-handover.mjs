// The last step of tools/bootstrap.mjs: run the real command as a child and
// pass on the signals that stop it. With a blocking spawn the bootstrap could
// not: a SIGTERM sent to it alone (a process manager, `kill <pid>` of
// `npm start`, npm passing on its own SIGTERM) ended the bootstrap and left
// the launcher and every service running, orphaned. Only the standard
// library here, like the bootstrap: it runs before `npm install`.
import { spawn } from 'node:child_process';
import os from 'node:os';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `file args` with inherited stdio until it exits; resolves to the exit
 * code to leave with (128 + the signal's number when a signal ended it).
 * A signal that reaches this process is sent on to the child (a Ctrl-C in a
 * terminal reaches both; the commands we run stop once however often told).
 */
export async function handOver(file, args, options = {}) {
  return (await run(file, args, options, false)).code;
}

/**
 * The same, with the child's stdout and stderr collected instead of shown
 * (for a check whose output matters only when it fails): resolves to
 * `{ code, output }`.
 */
export function handOverCaptured(file, args, options = {}) {
  return run(file, args, options, true);
}

function run(file, args, options, capture) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { ...options, stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    if (capture) {
      child.stdout.setEncoding('utf8').on('data', (d) => (output += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (output += d));
    }
    const forward = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    let settled = false;
    const done = (code) => {
      if (settled) return;
      settled = true;
      for (const s of FORWARDED) process.off(s, forward);
      resolve({ code, output });
    };
    child.on('error', (err) => {
      output += `cannot run ${file}: ${err.message}\n`;
      if (!capture) console.error(`platter: cannot run ${file}: ${err.message}`);
      done(1);
    });
    // 'close', not 'exit': captured output is complete only once the pipes are.
    child.on('close', (code, signal) => done(code ?? 128 + (os.constants.signals[signal] ?? 0)));
  });
}
