// Large XML request bodies parsed on the event loop and in the frontend's
// XmlParsePool worker: wall time and event-loop delay per body. The measuring
// code lives with the pool (libs/frontend/scripts/xml-bench.ts, which imports
// its private module); this runs it and returns its figures. Args are passed
// on (--rounds N).
import { runLibScript } from '../lib-script.js';

export function run(args: string[]): Promise<Record<string, unknown>> {
  return runLibScript('frontend/scripts/xml-bench.ts', args);
}
