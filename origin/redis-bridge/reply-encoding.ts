/** A reply as ioredis returns it when asked for buffers. */
export type RawReply = Buffer | number | bigint | null | RawReply[];

/** A reply as the Upstash REST protocol carries it in JSON. */
export type JsonReply = string | number | null | JsonReply[];

export type ResponseEncoding = "base64" | "utf8";

/**
 * Upstash clients send `Upstash-Encoding: base64` by default: every string in the reply is
 * base64 of the exact bytes Redis holds, so binary values survive JSON. Without it strings are
 * sent as UTF-8 text.
 */
export function encodeReply(reply: RawReply, encoding: ResponseEncoding): JsonReply {
  if (reply === null) return null;
  if (typeof reply === "number") return reply;
  if (typeof reply === "bigint") return Number(reply);
  if (Array.isArray(reply)) return reply.map((item) => encodeReply(item, encoding));
  return encoding === "base64" ? reply.toString("base64") : reply.toString("utf8");
}

export function encodingFromHeader(value: string | undefined): ResponseEncoding {
  return value?.toLowerCase() === "base64" ? "base64" : "utf8";
}
