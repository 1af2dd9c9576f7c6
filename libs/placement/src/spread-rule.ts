/**
 * The rules a stripe's placement follows, strongest first — the SpreadRule
 * enum of placement.proto without its prefix, so the service maps them 1:1.
 *
 * - MAX_M_PER_ZONE: at most m shards of a stripe in a zone (losing any zone
 *   leaves ≥ k). Never relaxed.
 * - ONE_SHARD_PER_HOST: at most one shard per host. Relaxed last: two shards
 *   then share a host on different disks.
 * - SHUFFLE_SHARD: candidates come from the object's own random draw. Our
 *   draw is taken from the disks that satisfy every other rule, so it can
 *   always satisfy them and is never reported relaxed.
 * - FILL_LIMIT: disks above the fill high-water mark are not chosen. Relaxed
 *   first, when no other disk fits.
 */
export const SPREAD_RULES = ['MAX_M_PER_ZONE', 'ONE_SHARD_PER_HOST', 'SHUFFLE_SHARD', 'FILL_LIMIT'] as const;
export type SpreadRule = (typeof SPREAD_RULES)[number];

/** The order in which a stripe that cannot be placed under every rule gives them up. */
export const RELAXATION_ORDER: readonly SpreadRule[] = ['FILL_LIMIT', 'ONE_SHARD_PER_HOST'];
