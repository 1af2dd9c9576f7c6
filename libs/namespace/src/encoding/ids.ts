/**
 * Version and upload ids are the journal sequence that created them, as 16
 * lowercase hex digits: unique within a partition for ever (sequences never
 * repeat, across epochs), ordered like the commits (newest-first listing
 * needs no clock), and cheap to turn back into a table key.
 */

export const NULL_VERSION_ID = 'null';

const ID_PATTERN = /^[0-9a-f]{16}$/;

export function idFromSequence(sequence: bigint): string {
  return sequence.toString(16).padStart(16, '0');
}

/** The sequence behind an id we minted, or undefined for anything else. */
export function sequenceFromId(id: string): bigint | undefined {
  if (!ID_PATTERN.test(id)) return undefined;
  const sequence = BigInt(`0x${id}`);
  return sequence === 0n ? undefined : sequence;
}
