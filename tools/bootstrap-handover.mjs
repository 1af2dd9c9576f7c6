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
export function handOver(file, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { ...options, stdio: 'inherit' });
    const forward = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    for (const s of FORWARDED) process.on(s, forward);
    const done = (code) => {
      for (const s of FORWARDED) process.off(s, forward);
      resolve(code);
    };
    child.on('error', (err) => {
      console.error(`platter: cannot run ${file}: ${err.message}`);
      done(1);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (os.constants.signals[signal] ?? 0)));
  });
}
