// Test support: an EchoService server in its own process, so that a test can
// freeze it (SIGSTOP). Prints its port on stdout, then serves until killed.
import { testingV1Echo } from '@platter/proto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createRpcServer } from '../rpc-server.js';
import { echoImpl, newObservations } from './echo-fixture.js';

const server = createRpcServer({ logger: pino({ level: 'silent' }), registry: new Registry() });
server.add(testingV1Echo.EchoService, echoImpl(newObservations()));
const port = await server.listen('127.0.0.1:0');
process.stdout.write(`${port}\n`);
