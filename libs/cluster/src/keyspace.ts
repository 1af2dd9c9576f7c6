/**
 * The single source of truth for Platter's etcd layout: every key, every
 * prefix and every value codec. Nothing else in the code base builds an etcd
 * key by string concatenation. The layout table is in this library's README.
 */
import { z } from 'zod';
import { CodecError, KeyspaceError } from './errors.js';
import { isRole, ROLES, type Role } from './roles.js';

export const DEFAULT_ROOT = '/platter/';

// One key segment: no '/', so a segment can never escape its prefix; bounded so keys stay small.
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
// Partitions are zero-padded so that a prefix range lists chains in numeric order.
const PARTITION_DIGITS = 5;
export const MAX_PARTITIONS = 10 ** PARTITION_DIGITS;

function segment(kind: string, value: string): string {
  if (!SEGMENT.test(value)) {
    throw new KeyspaceError(
      `invalid ${kind} ${JSON.stringify(value)}: expected 1-128 of [A-Za-z0-9._:-], starting alphanumeric`,
    );
  }
  return value;
}

function roleSegment(role: Role): string {
  if (!isRole(role))
    throw new KeyspaceError(`invalid role ${JSON.stringify(role)}: expected one of ${ROLES.join(', ')}`);
  return role;
}

function partitionSegment(partition: number): string {
  if (!Number.isInteger(partition) || partition < 0 || partition >= MAX_PARTITIONS) {
    throw new KeyspaceError(`invalid partition ${partition}: expected an integer in [0, ${MAX_PARTITIONS})`);
  }
  return String(partition).padStart(PARTITION_DIGITS, '0');
}

/** Key builders under one root. Every method validates its segments and throws KeyspaceError. */
export class Keyspace {
  readonly root: string;

  constructor(root: string = DEFAULT_ROOT) {
    if (!root.startsWith('/') || !root.endsWith('/') || root.includes('//')) {
      throw new KeyspaceError(`invalid root ${JSON.stringify(root)}: expected "/a/b/" form`);
    }
    for (const part of root.split('/').filter((p) => p.length > 0)) segment('root segment', part);
    this.root = root;
  }

  /** Cluster config (EC scheme, block size, quorum, partitions): created once, then read-only. */
  config(): string {
    return `${this.root}config`;
  }

  /** Lease-bound membership of one process. */
  member(role: Role, id: string): string {
    return `${this.root}members/${roleSegment(role)}/${segment('member id', id)}`;
  }

  membersPrefix(role?: Role): string {
    return role === undefined ? `${this.root}members/` : `${this.root}members/${roleSegment(role)}/`;
  }

  /** Splits a member key back into role and id; undefined for anything else. */
  parseMember(key: string): { role: Role; id: string } | undefined {
    const rest = key.startsWith(this.membersPrefix()) ? key.slice(this.membersPrefix().length) : undefined;
    const [role, id, ...extra] = rest?.split('/') ?? [];
    if (role === undefined || id === undefined || extra.length > 0 || !isRole(role) || !SEGMENT.test(id))
      return undefined;
    return { role, id };
  }

  /** Persistent disk inventory: failure domain, state, capacity. */
  disk(diskId: string): string {
    return `${this.root}disks/${segment('disk id', diskId)}`;
  }

  disksPrefix(): string {
    return `${this.root}disks/`;
  }

  /** Lease-bound: present while a storage node serves the disk. */
  diskLive(diskId: string): string {
    return `${this.root}disks-live/${segment('disk id', diskId)}`;
  }

  disksLivePrefix(): string {
    return `${this.root}disks-live/`;
  }

  /** Namespace partition chain (replicas and epoch), changed only by the chain manager with a CAS. */
  chain(partition: number): string {
    return `${this.root}chains/${partitionSegment(partition)}`;
  }

  chainsPrefix(): string {
    return `${this.root}chains/`;
  }

  parseChain(key: string): number | undefined {
    const rest = key.startsWith(this.chainsPrefix()) ? key.slice(this.chainsPrefix().length) : '';
    return /^\d{5}$/.test(rest) ? Number(rest) : undefined;
  }

  accessKey(accessKeyId: string): string {
    return `${this.root}iam/keys/${segment('access key id', accessKeyId)}`;
  }

  accessKeysPrefix(): string {
    return `${this.root}iam/keys/`;
  }

  account(accountId: string): string {
    return `${this.root}iam/accounts/${segment('account id', accountId)}`;
  }

  accountsPrefix(): string {
    return `${this.root}iam/accounts/`;
  }

  /** Prefix under which the candidates of one election put their lease-bound keys. */
  election(name: string): string {
    return `${this.root}elections/${segment('election name', name)}/`;
  }

  /** Lease-bound claim of one unit of background work (a disk to scrub, a partition to reconcile). */
  workClaim(kind: string, itemId: string): string {
    return `${this.root}work/${segment('work kind', kind)}/${segment('work item', itemId)}`;
  }

  workClaimsPrefix(kind: string): string {
    return `${this.root}work/${segment('work kind', kind)}/`;
  }
}

// ---------------------------------------------------------------------------
// Value codecs. Values are JSON; decoders ignore unknown fields so that a newer
// writer does not break an older reader during a rolling upgrade.
// ---------------------------------------------------------------------------

/** Validates on both sides: nothing malformed is ever written, nothing malformed is ever trusted. */
export interface Codec<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  encode(value: T): string;
  decode(raw: Buffer | string, key?: string): T;
}

export function defineCodec<T>(name: string, schema: z.ZodType<T>): Codec<T> {
  return {
    name,
    schema,
    encode(value: T): string {
      const parsed = schema.safeParse(value);
      if (!parsed.success)
        throw new CodecError(`refusing to write an invalid ${name}: ${z.prettifyError(parsed.error)}`, undefined);
      return JSON.stringify(parsed.data);
    },
    decode(raw: Buffer | string, key?: string): T {
      let json: unknown;
      try {
        json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
      } catch (err) {
        throw new CodecError(`${name} is not valid JSON`, key, { cause: err });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new CodecError(`malformed ${name}: ${z.prettifyError(parsed.error)}`, key);
      return parsed.data;
    },
  };
}

const Id = z.string().regex(SEGMENT, 'expected 1-128 of [A-Za-z0-9._:-], starting alphanumeric');
const IsoTime = z.iso.datetime({ offset: true });
const RoleSchema = z.enum(ROLES as [Role, ...Role[]]);

export const FailureDomainSchema = z.object({
  zone: z.string().min(1).max(64).optional(),
  rack: z.string().min(1).max(64).optional(),
  host: z.string().min(1).max(253).optional(),
});
export type FailureDomain = z.infer<typeof FailureDomainSchema>;

// --- cluster config ---------------------------------------------------------

// Reed-Solomon over GF(2^8) caps k+m at 256; nobody runs stripes anywhere near that wide.
const MAX_STRIPE_WIDTH = 64;
// Block sizes are whole pages, so that shards can be read and written page-aligned.
const BLOCK_ALIGNMENT_BYTES = 4096;
const MAX_BLOCK_SIZE_BYTES = 64 * 1024 * 1024;

export interface ClusterConfig {
  clusterId: string;
  ec: { k: number; m: number; codec: string };
  blockSizeBytes: number;
  writeQuorum: number;
  partitions: number;
  createdAt: string;
}

export const ClusterConfigSchema: z.ZodType<ClusterConfig> = z
  .object({
    clusterId: Id,
    ec: z.object({
      k: z.int().min(1).max(MAX_STRIPE_WIDTH),
      m: z.int().min(0).max(MAX_STRIPE_WIDTH),
      codec: z.string().min(1).max(64),
    }),
    blockSizeBytes: z
      .int()
      .min(BLOCK_ALIGNMENT_BYTES)
      .max(MAX_BLOCK_SIZE_BYTES)
      .refine((n) => n % BLOCK_ALIGNMENT_BYTES === 0, `must be a multiple of ${BLOCK_ALIGNMENT_BYTES}`),
    writeQuorum: z.int().min(1),
    partitions: z.int().min(1).max(MAX_PARTITIONS),
    createdAt: IsoTime,
  })
  .refine((c) => c.ec.k + c.ec.m <= MAX_STRIPE_WIDTH, {
    message: `k + m must be at most ${MAX_STRIPE_WIDTH}`,
    path: ['ec'],
  })
  .refine((c) => c.writeQuorum >= c.ec.k && c.writeQuorum <= c.ec.k + c.ec.m, {
    message: 'writeQuorum must be between k and k + m',
    path: ['writeQuorum'],
  });
export const ClusterConfigCodec = defineCodec('cluster config', ClusterConfigSchema);

// --- membership -------------------------------------------------------------

export interface MemberRecord {
  role: Role;
  id: string;
  /** host:port of the gRPC server. */
  grpcAddress: string;
  /** Base URL of the admin server (/metrics, /healthz, /readyz). */
  adminUrl: string;
  labels: FailureDomain;
  version: string;
  startedAt: string;
  pid: number;
}

export const MemberRecordSchema: z.ZodType<MemberRecord> = z.object({
  role: RoleSchema,
  id: Id,
  grpcAddress: z.string().regex(/^[^\s/]+:\d{1,5}$/, 'expected host:port'),
  adminUrl: z.url({ protocol: /^https?$/ }),
  labels: FailureDomainSchema,
  version: z.string().min(1).max(64),
  startedAt: IsoTime,
  pid: z.int().min(1),
});
export const MemberRecordCodec = defineCodec('member record', MemberRecordSchema);

// --- disks ------------------------------------------------------------------

/** Life cycle of a disk in the inventory; only placement and repair move it forward. */
export const DISK_STATES = ['joining', 'active', 'draining', 'failed', 'retired'] as const;
export type DiskState = (typeof DISK_STATES)[number];

export interface DiskRecord {
  diskId: string;
  /** The storage member id that owns the disk. */
  nodeId: string;
  labels: FailureDomain;
  state: DiskState;
  capacityBytes: number;
  createdAt: string;
  updatedAt: string;
}

export const DiskRecordSchema: z.ZodType<DiskRecord> = z.object({
  diskId: Id,
  nodeId: Id,
  labels: FailureDomainSchema,
  state: z.enum(DISK_STATES),
  capacityBytes: z.int().min(0),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export const DiskRecordCodec = defineCodec('disk record', DiskRecordSchema);

export interface DiskLiveRecord {
  diskId: string;
  nodeId: string;
  grpcAddress: string;
  since: string;
  /**
   * The superblock UUID of what is mounted there now: writers name it so that
   * a disk replaced or re-formatted since their allocation refuses the write.
   * Absent from records written before it existed.
   */
  diskUuid?: string;
}

export const DiskLiveRecordSchema: z.ZodType<DiskLiveRecord> = z.object({
  diskId: Id,
  nodeId: Id,
  grpcAddress: z.string().regex(/^[^\s/]+:\d{1,5}$/, 'expected host:port'),
  since: IsoTime,
  diskUuid: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'expected a lowercase UUID')
    .optional(),
}) as z.ZodType<DiskLiveRecord>;
export const DiskLiveRecordCodec = defineCodec('live disk record', DiskLiveRecordSchema);

// --- namespace chains -------------------------------------------------------

export interface ChainRecord {
  partition: number;
  /** Bumped on every membership change; replicas reject requests from older epochs. */
  epoch: number;
  /** Namespace member ids, head first, tail last. */
  replicas: string[];
  /** Members receiving a state transfer before they join at the tail. */
  joining: string[];
  updatedAt: string;
}

export const ChainRecordSchema: z.ZodType<ChainRecord> = z.object({
  partition: z
    .int()
    .min(0)
    .max(MAX_PARTITIONS - 1),
  epoch: z.int().min(1),
  replicas: z.array(Id).refine((ids) => new Set(ids).size === ids.length, 'replicas must be distinct'),
  joining: z.array(Id).default([]),
  updatedAt: IsoTime,
}) as z.ZodType<ChainRecord>;
export const ChainRecordCodec = defineCodec('chain record', ChainRecordSchema);

// --- IAM --------------------------------------------------------------------

export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  account: string;
  createdAt: string;
  status: 'active' | 'inactive';
}

export const AccessKeyRecordSchema: z.ZodType<AccessKeyRecord> = z.object({
  // S3 clients accept any printable id; we keep to the AWS alphabet so ids are safe in keys and logs.
  accessKeyId: z.string().regex(/^[A-Za-z0-9]{3,128}$/, 'expected 3-128 letters or digits'),
  // SigV4 needs the secret itself (HMAC key), so it is stored, not hashed: protect etcd with TLS and auth.
  secretAccessKey: z.string().min(8).max(128),
  account: Id,
  createdAt: IsoTime,
  status: z.enum(['active', 'inactive']),
});
export const AccessKeyRecordCodec = defineCodec('access key record', AccessKeyRecordSchema);

export interface AccountRecord {
  accountId: string;
  displayName: string;
  createdAt: string;
}

export const AccountRecordSchema: z.ZodType<AccountRecord> = z.object({
  accountId: Id,
  displayName: z.string().min(1).max(256),
  createdAt: IsoTime,
});
export const AccountRecordCodec = defineCodec('account record', AccountRecordSchema);

// --- elections and work claims ---------------------------------------------

export interface CandidateRecord {
  candidateId: string;
  since: string;
}

export const CandidateRecordSchema: z.ZodType<CandidateRecord> = z.object({ candidateId: Id, since: IsoTime });
export const CandidateRecordCodec = defineCodec('election candidate', CandidateRecordSchema);

export interface WorkClaimRecord {
  holderId: string;
  since: string;
}

export const WorkClaimRecordSchema: z.ZodType<WorkClaimRecord> = z.object({ holderId: Id, since: IsoTime });
export const WorkClaimRecordCodec = defineCodec('work claim', WorkClaimRecordSchema);
