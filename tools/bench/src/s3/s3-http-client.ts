import http from 'node:http';
import { signRequestHeaders, type SignerCredentials } from '@platter/s3';

// A lean S3 client for load: node:http with keep-alive and our own SigV4
// signer, bodies sent as UNSIGNED-PAYLOAD. The AWS SDK costs a few hundred
// microseconds of CPU per call, which on two cores shared with the cluster
// would measure the client, not Platter.

export interface S3Target {
  endpoint: string;
  credentials: SignerCredentials;
}

export class S3HttpClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    private readonly target: S3Target,
    maxSockets: number,
  ) {
    this.url = new URL(target.endpoint);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Sends a request and drains the answer; resolves with the status and the body's byte count. */
  request(method: string, path: string, body?: Buffer): Promise<{ status: number; bytes: number }> {
    const headers: Record<string, string> = { host: this.url.host };
    if (body) headers['content-length'] = String(body.length);
    const signed = signRequestHeaders(this.target.credentials, {
      method,
      rawPath: path,
      headers,
      payloadHash: 'UNSIGNED-PAYLOAD',
      date: new Date(),
    });
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, method, path, headers: signed.headers, agent: this.agent },
        (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
