import { createHash, timingSafeEqual } from "node:crypto";

/** Constant-time comparison of two secrets of any length (digests first, then compare). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
