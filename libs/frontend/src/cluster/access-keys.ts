import { AccessKeyRecordCodec, PrefixCache, type AccessKeyRecord, type Etcd3, type Keyspace } from '@platter/cluster';
import type { Logger } from '@platter/telemetry';

// Access keys and the accounts they act for, watched from etcd: signature
// checks never wait on etcd, and a revoked key stops working within a watch
// round trip.

export class AccessKeys {
  private constructor(
    private readonly cache: PrefixCache<AccessKeyRecord>,
    private readonly keyspace: Keyspace,
  ) {}

  static async open(opts: { etcd: Etcd3; keyspace: Keyspace; logger: Logger }): Promise<AccessKeys> {
    const cache = await PrefixCache.open({
      etcd: opts.etcd,
      prefix: opts.keyspace.accessKeysPrefix(),
      decode: (raw, key) => AccessKeyRecordCodec.decode(raw, key),
      logger: opts.logger.child({ component: 'access-keys' }),
    });
    return new AccessKeys(cache, opts.keyspace);
  }

  /** The active key with this id, or undefined. */
  find(accessKeyId: string): AccessKeyRecord | undefined {
    let key: string;
    try {
      key = this.keyspace.accessKey(accessKeyId);
    } catch {
      return undefined; // not a well-formed id: no such key
    }
    const record = this.cache.get(key);
    return record?.status === 'active' ? record : undefined;
  }

  close(): Promise<void> {
    return this.cache.close();
  }
}
