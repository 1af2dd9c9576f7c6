import { AliasTable, type Rng } from '@platter/placement';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
/** Shard lengths are whole pages (the erasure library pads the last stripe to them). */
const SHARD_ALIGN_BYTES = 4 * KiB;

/**
 * The synthetic workload. Objects come from tenants with Zipf-distributed
 * activity; sizes are heavy-tailed (a log-normal body of small objects plus
 * a Pareto tail of large ones, which carries most of the bytes, as in real
 * object stores); each object is read at a rate that depends on its tenant
 * and cools with age (the heat model applies the decay); bursts make one
 * tenant write a share of everything for a while, with hotter objects.
 */
export interface WorkloadOptions {
  dataShards: number;
  blockBytes: number;
  /** Largest part an object is cut into (multipart upload); each part is one allocation. */
  partBytes: number;
  tenants: number;
  /** Tenant activity ∝ 1 / rank^s. */
  zipfExponent: number;
  /** Spread of per-tenant read hotness (log-normal σ; mean normalised to 1). */
  tenantHotnessSigma: number;
  /** Small-object body: log-normal with this median and σ. */
  bodyMedianBytes: number;
  bodySigma: number;
  /** Share of objects from the Pareto tail. */
  tailShare: number;
  tailMinBytes: number;
  tailAlpha: number;
  maxObjectBytes: number;
  /** Chance per simulation step that a burst starts (if none is running). */
  burstStartPerStep: number;
  burstMinSteps: number;
  burstMaxSteps: number;
  /** Share of all writes that come from the bursting tenant. */
  burstShare: number;
  /** How much hotter the objects written during a burst are. */
  burstHeatFactor: number;
}

export const DEFAULT_WORKLOAD: Omit<WorkloadOptions, 'dataShards' | 'blockBytes'> = {
  // Multipart uploads in 16 MiB parts (SDKs default to 5–16 MiB).
  partBytes: 16 * MiB,
  tenants: 1000,
  zipfExponent: 1.1,
  tenantHotnessSigma: 1,
  bodyMedianBytes: 256 * KiB,
  bodySigma: 1.5,
  tailShare: 0.1,
  tailMinBytes: 8 * MiB,
  tailAlpha: 1.2,
  maxObjectBytes: 5 * GiB,
  burstStartPerStep: 0.05,
  burstMinSteps: 4,
  burstMaxSteps: 16,
  burstShare: 0.2,
  burstHeatFactor: 5,
};

/** One allocation's worth of data: a part of an object. */
export interface Part {
  tenant: number;
  /** Bytes on each of the k + m disks. */
  shardBytes: number;
  /** Stripes of k × block bytes in this part. */
  stripes: number;
  /** Read rate of the part when new, relative (mean about 1 over all writes). */
  readRate: number;
  burst: boolean;
}

export class Workload {
  private readonly o: WorkloadOptions;
  private readonly tenantDraw: AliasTable;
  private readonly hotness: Float64Array;
  private burstTenant = -1;
  private burstStepsLeft = 0;
  // Parts of the current object still to hand out.
  private pendingBytes = 0;
  private pendingTenant = 0;
  private pendingRate = 0;
  private pendingBurst = false;

  constructor(
    options: WorkloadOptions,
    private readonly rng: Rng,
  ) {
    this.o = options;
    const ids = Int32Array.from({ length: options.tenants }, (_, i) => i);
    const weights = Float64Array.from(ids, (i) => 1 / Math.pow(i + 1, options.zipfExponent));
    this.tenantDraw = new AliasTable(ids, weights);
    // Hotness is independent of activity rank; normalise its write-weighted mean to 1.
    this.hotness = Float64Array.from(ids, () => Math.exp(options.tenantHotnessSigma * this.gaussian()));
    let weighted = 0;
    let total = 0;
    for (let i = 0; i < options.tenants; i++) {
      weighted += (weights[i] as number) * (this.hotness[i] as number);
      total += weights[i] as number;
    }
    const scale = total / weighted;
    for (let i = 0; i < options.tenants; i++) this.hotness[i] = (this.hotness[i] as number) * scale;
  }

  /** Advances burst state by one simulation step. */
  beginStep(): void {
    if (this.burstStepsLeft > 0) {
      this.burstStepsLeft--;
      if (this.burstStepsLeft === 0) this.burstTenant = -1;
    } else if (this.rng.next() < this.o.burstStartPerStep) {
      this.burstTenant = this.tenantDraw.draw(this.rng);
      this.burstStepsLeft = this.o.burstMinSteps + this.rng.int(this.o.burstMaxSteps - this.o.burstMinSteps + 1);
    }
  }

  get bursting(): boolean {
    return this.burstTenant >= 0;
  }

  /** The next part to place (parts of one object come one after another). */
  nextPart(): Part {
    if (this.pendingBytes <= 0) this.startObject();
    const bytes = Math.min(this.pendingBytes, this.o.partBytes);
    this.pendingBytes -= bytes;
    const stripeBytes = this.o.dataShards * this.o.blockBytes;
    return {
      tenant: this.pendingTenant,
      shardBytes: Math.ceil(bytes / this.o.dataShards / SHARD_ALIGN_BYTES) * SHARD_ALIGN_BYTES,
      stripes: Math.ceil(bytes / stripeBytes),
      readRate: this.pendingRate,
      burst: this.pendingBurst,
    };
  }

  /** One object size from the heavy-tailed distribution, bytes (≥ 1). */
  objectSize(): number {
    let size: number;
    if (this.rng.next() < this.o.tailShare) {
      // Pareto: xm / U^(1/α).
      size = this.o.tailMinBytes / Math.pow(1 - this.rng.next(), 1 / this.o.tailAlpha);
    } else {
      size = this.o.bodyMedianBytes * Math.exp(this.o.bodySigma * this.gaussian());
    }
    return Math.max(1, Math.min(this.o.maxObjectBytes, Math.round(size)));
  }

  private startObject(): void {
    const burst = this.burstTenant >= 0 && this.rng.next() < this.o.burstShare;
    const tenant = burst ? this.burstTenant : this.tenantDraw.draw(this.rng);
    this.pendingTenant = tenant;
    this.pendingBurst = burst;
    this.pendingRate = (this.hotness[tenant] as number) * (burst ? this.o.burstHeatFactor : 1);
    this.pendingBytes = this.objectSize();
  }

  private gaussian(): number {
    // Box–Muller; 1 − U keeps the logarithm finite.
    const u = 1 - this.rng.next();
    const v = this.rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
