// Preloaded into service processes (NODE_OPTIONS=--import=…) by suites that
// profile a whole cluster: `--cpu-prof` is not allowed in NODE_OPTIONS, so
// this starts V8's sampling profiler through the inspector and writes a
// `.cpuprofile` into PLATTER_CPU_PROF_DIR when the process exits (the
// launcher stops services with SIGTERM, which ends in a normal exit).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

/** Sampling interval, µs: 1 ms keeps the profiler's own cost near a tenth of a busy process. */
const SAMPLING_INTERVAL_US = 1000;

const dir = process.env.PLATTER_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  session.post('Profiler.start');
  process.on('exit', () => {
    // The inspector answers synchronously within 'exit' for an attached session.
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      const name = `${process.env.PLATTER_ID ?? 'process'}-${process.pid}.cpuprofile`;
      writeFileSync(path.join(dir, name), JSON.stringify(result.profile));
    });
  });
}
