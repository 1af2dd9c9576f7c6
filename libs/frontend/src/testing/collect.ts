/** Every chunk of a byte stream, joined (test helper: the streams under test are small). */
export async function collectBytes(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}
