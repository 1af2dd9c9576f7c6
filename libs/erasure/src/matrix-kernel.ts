import type { CodecImplementation } from './stripe-codec.js';

/**
 * The one primitive a matrix Reed-Solomon codec needs: outputs[r] =
 * sum over j of coefficients[r][j] · sources[j], byte by byte in GF(2^8).
 * `prepare` turns a coefficient matrix into whatever the kernel runs on
 * (ISA-L's expanded tables, or multiplication-table rows), once per matrix.
 */
export interface MatrixKernel<Tables> {
  readonly implementation: CodecImplementation;
  prepare(k: number, rows: number, coefficients: Uint8Array): Tables;
  apply(tables: Tables, length: number, sources: readonly Uint8Array[], outputs: readonly Uint8Array[]): Promise<void>;
}
