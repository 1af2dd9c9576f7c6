import { describe, expect, it } from 'vitest';
import { defaultClusterConfig } from './cluster-config.js';
import { CodecError, KeyspaceError } from './errors.js';
import {
  AccessKeyRecordCodec,
  ChainRecordCodec,
  ClusterConfigCodec,
  DiskRecordCodec,
  Keyspace,
  MemberRecordCodec,
  type MemberRecord,
} from './keyspace.js';

const member: MemberRecord = {
  role: 'storage',
  id: 'node-1',
  grpcAddress: '127.0.0.1:7001',
  adminUrl: 'http://127.0.0.1:9001',
  labels: { zone: 'z1', rack: 'r1', host: 'h1' },
  version: '0.0.0',
  startedAt: '2026-11-23T10:00:00.000Z',
  pid: 1234,
};

describe('Keyspace', () => {
  const ks = new Keyspace();

  it('lays keys out under the root', () => {
    expect(ks.config()).toBe('/platter/config');
    expect(ks.member('storage', 'node-1')).toBe('/platter/members/storage/node-1');
    expect(ks.membersPrefix()).toBe('/platter/members/');
    expect(ks.membersPrefix('frontend')).toBe('/platter/members/frontend/');
    expect(ks.disk('d-01')).toBe('/platter/disks/d-01');
    expect(ks.diskLive('d-01')).toBe('/platter/disks-live/d-01');
    expect(ks.chain(7)).toBe('/platter/chains/00007');
    expect(ks.accessKey('AKIAEXAMPLE')).toBe('/platter/iam/keys/AKIAEXAMPLE');
    expect(ks.account('acct-1')).toBe('/platter/iam/accounts/acct-1');
    expect(ks.election('placement')).toBe('/platter/elections/placement/');
    expect(ks.workClaim('scrub', 'd-01')).toBe('/platter/work/scrub/d-01');
    expect(new Keyspace('/test/run-1/').config()).toBe('/test/run-1/config');
  });

  it('keeps the disk inventory and live disks in disjoint prefixes', () => {
    expect(ks.diskLive('x').startsWith(ks.disksPrefix())).toBe(false);
    expect(ks.disk('x').startsWith(ks.disksLivePrefix())).toBe(false);
  });

  it('sorts chains numerically and parses keys back', () => {
    const keys = [10, 2, 1].map((p) => ks.chain(p)).sort();
    expect(keys.map((k) => ks.parseChain(k))).toEqual([1, 2, 10]);
    expect(ks.parseMember('/platter/members/storage/node-1')).toEqual({ role: 'storage', id: 'node-1' });
    expect(ks.parseMember('/platter/members/wizard/node-1')).toBeUndefined();
    expect(ks.parseMember('/platter/members/storage/a/b')).toBeUndefined();
    expect(ks.parseChain('/platter/chains/7')).toBeUndefined();
  });

  it('refuses segments that could escape their prefix or confuse a range', () => {
    for (const bad of ['', 'a/b', '../x', '.hidden', 'a b', 'x'.repeat(129), 'é']) {
      expect(() => ks.member('storage', bad)).toThrow(KeyspaceError);
    }
    expect(() => ks.member('wizard' as 'storage', 'x')).toThrow(KeyspaceError);
    expect(() => ks.chain(-1)).toThrow(KeyspaceError);
    expect(() => ks.chain(1.5)).toThrow(KeyspaceError);
    expect(() => ks.chain(100_000)).toThrow(KeyspaceError);
    expect(() => new Keyspace('platter/')).toThrow(KeyspaceError);
    expect(() => new Keyspace('/platter')).toThrow(KeyspaceError);
    expect(() => new Keyspace('/a//b/')).toThrow(KeyspaceError);
  });
});

describe('codecs', () => {
  it('round-trip valid values and ignore unknown fields from newer writers', () => {
    expect(MemberRecordCodec.decode(MemberRecordCodec.encode(member))).toEqual(member);
    const newer = JSON.stringify({ ...member, addedInV2: true });
    expect(MemberRecordCodec.decode(newer)).toEqual(member);
    const config = defaultClusterConfig({ clusterId: 'c1' });
    expect(ClusterConfigCodec.decode(Buffer.from(ClusterConfigCodec.encode(config)))).toEqual(config);
  });

  it('reject malformed values with the key in the message', () => {
    const key = '/platter/members/storage/node-1';
    expect(() => MemberRecordCodec.decode('{not json', key)).toThrow(CodecError);
    expect(() => MemberRecordCodec.decode('{not json', key)).toThrow(
      /members\/storage\/node-1: member record is not valid JSON/,
    );
    expect(() => MemberRecordCodec.decode('null', key)).toThrow(CodecError);
    expect(() => MemberRecordCodec.decode(JSON.stringify({ ...member, role: 'wizard' }), key)).toThrow(/role/);
    expect(() => MemberRecordCodec.decode(JSON.stringify({ ...member, pid: '12' }), key)).toThrow(/pid/);
    expect(() => MemberRecordCodec.decode(JSON.stringify({ ...member, grpcAddress: 'no-port' }), key)).toThrow(
      /host:port/,
    );
    expect(() => MemberRecordCodec.decode(JSON.stringify({ ...member, startedAt: 'yesterday' }), key)).toThrow(
      /startedAt/,
    );
    const { labels: _labels, ...withoutLabels } = member;
    expect(() => MemberRecordCodec.decode(JSON.stringify(withoutLabels), key)).toThrow(/labels/);
  });

  it('enforce cluster config invariants', () => {
    const ok = defaultClusterConfig({ clusterId: 'c1' });
    expect(ok).toMatchObject({ ec: { k: 5, m: 4 }, blockSizeBytes: 1024 * 1024, writeQuorum: 7, partitions: 16 });
    const bad = (patch: object): string => JSON.stringify({ ...ok, ...patch });
    expect(() => ClusterConfigCodec.decode(bad({ writeQuorum: 4 }))).toThrow(
      /writeQuorum must be between k and k \+ m/,
    );
    expect(() => ClusterConfigCodec.decode(bad({ writeQuorum: 10 }))).toThrow(/writeQuorum/);
    expect(() => ClusterConfigCodec.decode(bad({ blockSizeBytes: 1000 }))).toThrow(/blockSizeBytes/);
    expect(() => ClusterConfigCodec.decode(bad({ blockSizeBytes: 4096 * 3 + 1 }))).toThrow(/multiple of 4096/);
    expect(() => ClusterConfigCodec.decode(bad({ partitions: 0 }))).toThrow(/partitions/);
    expect(() => ClusterConfigCodec.decode(bad({ ec: { k: 0, m: 4, codec: 'x' } }))).toThrow(/k/);
  });

  it('refuse to encode invalid values, so nothing malformed is ever written', () => {
    expect(() => MemberRecordCodec.encode({ ...member, id: 'a/b' })).toThrow(
      /refusing to write an invalid member record/,
    );
    expect(() =>
      DiskRecordCodec.encode({
        diskId: 'd1',
        nodeId: 'n1',
        labels: {},
        state: 'lost' as 'failed',
        capacityBytes: 1,
        createdAt: member.startedAt,
        updatedAt: member.startedAt,
      }),
    ).toThrow(CodecError);
    expect(() =>
      AccessKeyRecordCodec.encode({
        accessKeyId: 'AK-1',
        secretAccessKey: 'long-enough-secret',
        account: 'root',
        createdAt: member.startedAt,
        status: 'active',
      }),
    ).toThrow(/accessKeyId/);
    expect(() =>
      AccessKeyRecordCodec.encode({
        accessKeyId: 'AKIA1',
        secretAccessKey: 'short',
        account: 'root',
        createdAt: member.startedAt,
        status: 'active',
      }),
    ).toThrow(/secretAccessKey/);
  });

  it('default chain joiners and reject duplicate replicas', () => {
    const chain = ChainRecordCodec.decode(
      JSON.stringify({ partition: 3, epoch: 1, replicas: ['a', 'b', 'c'], updatedAt: member.startedAt }),
    );
    expect(chain.joining).toEqual([]);
    expect(() =>
      ChainRecordCodec.decode(
        JSON.stringify({ partition: 3, epoch: 1, replicas: ['a', 'a'], updatedAt: member.startedAt }),
      ),
    ).toThrow(/distinct/);
    expect(() =>
      ChainRecordCodec.decode(JSON.stringify({ partition: 3, epoch: 0, replicas: [], updatedAt: member.startedAt })),
    ).toThrow(/epoch/);
  });
});
