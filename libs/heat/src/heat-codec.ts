import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { commonV1 } from '@platter/proto';
import { HeatCodecError } from './errors.js';

/** Upper bound of one encoded sample, bytes: a DiskHeat is about 100 bytes; anything far larger is not ours. */
export const MAX_HEAT_VALUE_BYTES = 4096;

/** A heat sample as stored in Redis: the DiskHeat message of common.proto, protobuf binary. */
export function encodeHeat(heat: commonV1.DiskHeat): Buffer {
  const bytes = toBinary(commonV1.DiskHeatSchema, heat);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes a stored sample; throws HeatCodecError for anything that is not one. */
export function decodeHeat(bytes: Uint8Array): commonV1.DiskHeat {
  if (bytes.byteLength > MAX_HEAT_VALUE_BYTES)
    throw new HeatCodecError(`heat value of ${bytes.byteLength} bytes is too large`);
  let heat: commonV1.DiskHeat;
  try {
    heat = fromBinary(commonV1.DiskHeatSchema, bytes);
  } catch (err) {
    throw new HeatCodecError('heat value is not a DiskHeat message', { cause: err });
  }
  if (heat.diskId === '' || heat.sampledAt === undefined)
    throw new HeatCodecError('heat value lacks disk_id or sampled_at');
  return heat;
}
