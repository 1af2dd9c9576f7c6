import type { ChainRecord } from '@platter/cluster';
import { namespaceV1 } from '@platter/proto';

/** One replica's place in one chain configuration, derived from its etcd record. */
export interface ChainPosition {
  partition: number;
  epoch: bigint;
  role: namespaceV1.ReplicaRole;
  /** Member ids; undefined at the head and the tail respectively (and outside the chain). */
  predecessor: string | undefined;
  successor: string | undefined;
}

const ROLE = namespaceV1.ReplicaRole;

/** Where `memberId` stands in `record` (pure: the record alone decides). */
export function chainPosition(record: ChainRecord, memberId: string): ChainPosition {
  const epoch = BigInt(record.epoch);
  const at = record.replicas.indexOf(memberId);
  if (at < 0) {
    const role = record.joining.includes(memberId) ? ROLE.JOINING : ROLE.NOT_MEMBER;
    return { partition: record.partition, epoch, role, predecessor: undefined, successor: undefined };
  }
  const last = record.replicas.length - 1;
  const role = last === 0 ? ROLE.SOLE : at === 0 ? ROLE.HEAD : at === last ? ROLE.TAIL : ROLE.MIDDLE;
  return {
    partition: record.partition,
    epoch,
    role,
    predecessor: at > 0 ? record.replicas[at - 1] : undefined,
    successor: at < last ? record.replicas[at + 1] : undefined,
  };
}

export function isHead(role: namespaceV1.ReplicaRole): boolean {
  return role === ROLE.HEAD || role === ROLE.SOLE;
}

export function isTail(role: namespaceV1.ReplicaRole): boolean {
  return role === ROLE.TAIL || role === ROLE.SOLE;
}

export function inChain(role: namespaceV1.ReplicaRole): boolean {
  return role === ROLE.HEAD || role === ROLE.MIDDLE || role === ROLE.TAIL || role === ROLE.SOLE;
}
