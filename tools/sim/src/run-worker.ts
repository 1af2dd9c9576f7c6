// One simulated run in a worker thread: the runs of a sim are independent
// and deterministic, so main.ts spreads them over the cores.
import { parentPort, workerData } from 'node:worker_threads';
import { runSimulation, type Scenario, type SimParams, type Strategy } from './fleet-sim.js';

const { params, strategy, scenario } = workerData as { params: SimParams; strategy: Strategy; scenario: Scenario };
parentPort!.postMessage(runSimulation(params, strategy, scenario));
