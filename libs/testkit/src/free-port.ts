import { createServer } from 'node:net';

/**
 * Ports this process has handed out. The kernel may give the same free port
 * to two calls in a row when nothing binds it in between — a local cluster
 * once got one port for both Redis and the S3 endpoint, and its frontend
 * failed with EADDRINUSE — so a port is never handed out twice.
 */
const handedOut = new Set<number>();
const MAX_TRIES = 50;

/**
 * A TCP port that was free a moment ago and that no earlier call in this
 * process returned. Another process may still take it before the caller
 * binds, so callers that can should retry on EADDRINUSE.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < MAX_TRIES; i++) {
    const port = await anyFreePort(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no port on ${host} that was not handed out already, after ${MAX_TRIES} tries`);
}

function anyFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('no port assigned')) : resolve(port)));
    });
  });
}
