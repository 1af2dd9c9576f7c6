/** The one error family of this library. */
export class HeatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A disk id that cannot name a heat key (it would escape its prefix or bloat keys). */
export class HeatKeyError extends HeatError {}

/** Bytes under a heat key that are not a DiskHeat message. */
export class HeatCodecError extends HeatError {}
