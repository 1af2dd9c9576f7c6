import { crc32c } from '@node-rs/crc32';
import { u32be, utf8 } from '@platter/namespace-client';

/**
 * The framing of one snapshot pair (namespace.proto, SnapshotTrailer):
 * u32be(len(database)) ‖ database ‖ u32be(len(key)) ‖ key ‖ u32be(len(value)) ‖ value.
 */
export function pairFrameBytes(database: string, key: Uint8Array, value: Uint8Array): Buffer {
  const name = utf8(database);
  return Buffer.concat([u32be(name.length), name, u32be(key.byteLength), key, u32be(value.byteLength), value]);
}

/** Running count and CRC32C of framed pairs, as the snapshot trailer carries them. */
export class PairFrameCrc {
  count = 0n;
  crc = 0;

  add(database: string, key: Uint8Array, value: Uint8Array): void {
    this.crc = crc32c(pairFrameBytes(database, key, value), this.crc);
    this.count++;
  }
}
