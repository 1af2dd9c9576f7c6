import { EventEmitter } from 'node:events';
import type { Etcd3 } from 'etcd3';
import type { Logger } from '@platter/telemetry';
import { CodecError } from './errors.js';
import { MemberRecordCodec, type Keyspace, type MemberRecord } from './keyspace.js';
import { PrefixCache, type PrefixChange } from './prefix-cache.js';
import type { Role } from './roles.js';

export interface MemberViewOptions {
  etcd: Etcd3;
  keyspace: Keyspace;
  /** Only this role; default every role. */
  role?: Role;
  logger: Logger;
}

/**
 * The live members (of one role, or all), kept current by a watch; reading
 * it never touches etcd, so it is safe in a request path.
 *
 * Events: 'change' (changes: PrefixChange<MemberRecord>[]) after every update.
 */
export class MemberView extends EventEmitter {
  private constructor(
    private readonly cache: PrefixCache<MemberRecord>,
    private readonly keyspace: Keyspace,
  ) {
    super();
    cache.on('change', (changes: PrefixChange<MemberRecord>[]) => this.emit('change', changes));
  }

  static async open(opts: MemberViewOptions): Promise<MemberView> {
    const { keyspace } = opts;
    const cache = await PrefixCache.open<MemberRecord>({
      etcd: opts.etcd,
      prefix: keyspace.membersPrefix(opts.role),
      logger: opts.logger.child({ component: 'member-view', role: opts.role ?? 'all' }),
      decode: (raw, key) => {
        const record = MemberRecordCodec.decode(raw, key);
        // The key is the identity: a record that claims another one is not trusted.
        const parsed = keyspace.parseMember(key);
        if (parsed === undefined || parsed.role !== record.role || parsed.id !== record.id) {
          throw new CodecError(`record says ${record.role}/${record.id}`, key);
        }
        return record;
      },
    });
    return new MemberView(cache, keyspace);
  }

  /** Members sorted by role, then id. */
  members(): MemberRecord[] {
    return this.cache.values();
  }

  byRole(role: Role): MemberRecord[] {
    return this.members().filter((m) => m.role === role);
  }

  get(role: Role, id: string): MemberRecord | undefined {
    return this.cache.get(this.keyspace.member(role, id));
  }

  /** The etcd revision this view reflects. */
  get revision(): string {
    return this.cache.revision;
  }

  async close(): Promise<void> {
    await this.cache.close();
    this.removeAllListeners();
  }
}
