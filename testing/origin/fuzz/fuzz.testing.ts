import fc from "fast-check";
import * as v from "valibot";
import { expect } from "vitest";
import { ErrorBodySchema } from "../../../contracts/error.schema";

/**
 * Runs one property and prints how many cases it got through. fc.check instead of fc.assert:
 * only the run details say how many cases ran before `interruptAfterTimeLimit` cut it short, and
 * the per-boundary counts are what tells a reader how hard each boundary was actually pushed.
 */
export async function fuzz<Ts>(
  boundary: string,
  property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>,
  params: { numRuns: number; timeLimitMs: number; seed?: number },
): Promise<number> {
  const details = await fc.check(property, {
    numRuns: params.numRuns,
    interruptAfterTimeLimit: params.timeLimitMs,
    // A property that is cut short must still pass: too few cases is reported, not hidden.
    markInterruptAsFailure: false,
    ...(params.seed === undefined ? {} : { seed: params.seed }),
  });
  const report = fc.defaultReportMessage(details);
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : "";
    throw new Error(`fuzz ${boundary} failed:\n${report}\n${cause}`);
  }
  console.log(`fuzz ${boundary}: ${details.numRuns} cases`);
  // A property that ran (almost) nothing asserted nothing; the machine is slow, not that slow.
  expect(details.numRuns, `fuzz ${boundary}: too few cases`).toBeGreaterThanOrEqual(5);
  return details.numRuns;
}

/** `AREA.REASON`, as every code in ErrorCode is spelled. */
export const ERROR_CODE = /^[A-Z][A-Z0-9_]*\.[A-Z][A-Z0-9_]*$/;

/** The `{error:{code,message}}` of a 4xx, with its code checked; throws on anything else. */
export async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${response.status} body is not JSON: ${text.slice(0, 200)}`);
  }
  const parsed = v.safeParse(ErrorBodySchema, json);
  if (!parsed.success) throw new Error(`${response.status} body is not an error body: ${text}`);
  expect(parsed.output.error.code).toMatch(ERROR_CODE);
  expect(parsed.output.error.message.length).toBeGreaterThan(0);
  return parsed.output.error;
}

/** Strings that have broken key names and parsers before: traversal, NULs, glob and RESP bytes. */
export const NASTY_STRINGS = [
  "",
  " ",
  "../../\u0000x",
  "..%2f..%2fetc%2fpasswd",
  "a/../../b",
  "\u0000",
  "x\r\ny",
  "*",
  "user:*",
  "{user}",
  "a b",
  "é",
  "😀",
  "\ud800",
  "x".repeat(65),
  "x".repeat(5000),
  "__proto__",
  "constructor",
  "null",
  "-1",
  "EU",
  "eu-",
  "us-east-1-2",
];

/** Any string, weighted toward the nasty ones and full unicode (lone surrogates included). */
export const nastyString = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...NASTY_STRINGS),
    fc.string({ unit: "binary", maxLength: 80 }),
    fc.string({ maxLength: 80 }),
    fc
      .tuple(fc.constantFrom(...NASTY_STRINGS), fc.string({ maxLength: 8 }))
      .map(([a, b]) => `${a}${b}`),
  );

/** Numbers that sit outside every bound some schema has: NaN-like, huge, negative, fractional. */
export const nastyNumber = (): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(
      -1,
      0,
      -0,
      0.5,
      1e21,
      -1e21,
      Number.MAX_SAFE_INTEGER + 2,
      Number.MIN_SAFE_INTEGER,
      Number.MAX_VALUE,
      Number.EPSILON,
    ),
    fc.double(),
    fc.integer(),
  );

/** A value of any JSON type, deep or shallow, plus the nasty strings and numbers. */
export const anyJson = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { depthSize: "small" },
    fc.jsonValue(),
    nastyString(),
    nastyNumber(),
    fc.constantFrom(null, true, false, [], {}),
  );
