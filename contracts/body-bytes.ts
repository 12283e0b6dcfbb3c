/** The slice of a web `Request` the reader needs, typed here since contracts/ has no DOM types. */
export interface BodySource {
  readonly headers: { get(name: string): string | null };
  readonly body: {
    getReader(): {
      read(): Promise<{ done: boolean; value?: Uint8Array }>;
      cancel(): Promise<void>;
    };
    cancel(): Promise<void>;
  } | null;
}

export type BodyBytes =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: "too-large" | "aborted" };

/**
 * The rule both sides hold every JSON body to: read it, stopping as soon as it passes `maxBytes`: a chunked body with no
 * Content-Length is refused after `maxBytes + 1` bytes, never buffered whole. A declared length
 * over the limit is refused before reading anything. A client that goes away mid-body is an
 * abort, not an error of ours.
 */
export async function readBodyUpTo(request: BodySource, maxBytes: number): Promise<BodyBytes> {
  if (Number(request.headers.get("content-length") ?? "0") > maxBytes) {
    await request.body?.cancel().catch(() => undefined);
    return { ok: false, reason: "too-large" };
  }
  if (!request.body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || !value) break;
      length += value.byteLength;
      if (length > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, reason: "too-large" };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: "aborted" };
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}
