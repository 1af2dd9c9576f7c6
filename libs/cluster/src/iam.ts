import { randomBytes } from 'node:crypto';
import type { Etcd3 } from 'etcd3';
import { AccessKeyConflictError } from './errors.js';
import { AccessKeyRecordCodec, type AccessKeyRecord, type Keyspace } from './keyspace.js';

export interface RootAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  account: string;
}

/**
 * Creates the first access key if its id is free (one transaction) and
 * returns the stored record. Idempotent for the same id, secret and account;
 * an id already stored with a different secret or account throws
 * AccessKeyConflictError instead of silently keeping the old secret.
 */
export async function bootstrapRootAccessKey(
  etcd: Etcd3,
  keyspace: Keyspace,
  key: RootAccessKey,
): Promise<AccessKeyRecord> {
  const etcdKey = keyspace.accessKey(key.accessKeyId);
  const record: AccessKeyRecord = { ...key, createdAt: new Date().toISOString(), status: 'active' };
  const value = AccessKeyRecordCodec.encode(record);
  const res = await etcd
    .if(etcdKey, 'Create', '==', 0)
    .then(etcd.put(etcdKey).value(value))
    .else(etcd.get(etcdKey))
    .commit();
  if (res.succeeded) return AccessKeyRecordCodec.decode(value, etcdKey);
  const kv = res.responses[0]?.response_range?.kvs[0];
  if (kv === undefined) throw new Error(`${etcdKey} vanished between compare and read`);
  const stored = AccessKeyRecordCodec.decode(kv.value, etcdKey);
  if (stored.secretAccessKey !== key.secretAccessKey || stored.account !== key.account) {
    throw new AccessKeyConflictError(`access key ${key.accessKeyId} already exists with a different secret or account`);
  }
  return stored;
}

export async function getAccessKey(
  etcd: Etcd3,
  keyspace: Keyspace,
  accessKeyId: string,
): Promise<AccessKeyRecord | undefined> {
  const key = keyspace.accessKey(accessKeyId);
  const raw = await etcd.get(key).buffer();
  return raw === null ? undefined : AccessKeyRecordCodec.decode(raw, key);
}

/** Access key ids look like AWS's: a fixed prefix and 18 characters of base32. */
const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ACCESS_KEY_PREFIX = 'PT';

/** A fresh key pair for `account` (not stored): 90 random bits of id, 240 of secret. */
export function newAccessKey(account: string): RootAccessKey {
  const accessKeyId = ACCESS_KEY_PREFIX + [...randomBytes(18)].map((b) => ACCESS_KEY_ALPHABET[b % 32]).join('');
  const secretAccessKey = randomBytes(30).toString('base64').replace(/[+/=]/g, 'x');
  return { accessKeyId, secretAccessKey, account };
}

/** Creates and stores a new access key for `account`. */
export async function createAccessKey(etcd: Etcd3, keyspace: Keyspace, account: string): Promise<AccessKeyRecord> {
  return bootstrapRootAccessKey(etcd, keyspace, newAccessKey(account));
}
