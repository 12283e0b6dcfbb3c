import { describe, expect, it } from "vitest";
import { sameSecret } from "./internal-auth";

describe("sameSecret", () => {
  const secret = "s3cr3t-0123456789abcdef";

  it("accepts exactly the secret", () => {
    expect(sameSecret(secret, secret)).toBe(true);
    expect(sameSecret("é🔑", "é🔑")).toBe(true);
  });

  it("refuses anything else: one character off, a prefix, a longer string, nothing", () => {
    expect(sameSecret(`${secret.slice(0, -1)}g`, secret)).toBe(false);
    expect(sameSecret(`x${secret.slice(1)}`, secret)).toBe(false);
    expect(sameSecret(secret.slice(0, 5), secret)).toBe(false);
    expect(sameSecret(`${secret}x`, secret)).toBe(false);
    expect(sameSecret(`${secret}${secret}`, secret)).toBe(false);
    expect(sameSecret("", secret)).toBe(false);
    expect(sameSecret(secret, "")).toBe(false);
    expect(sameSecret("e🔑", "é🔑")).toBe(false);
  });
});
