import { SELF } from "cloudflare:test";
import * as fc from "fast-check";
import * as v from "valibot";
import { expect } from "vitest";
import { ErrorBodySchema } from "../../contracts/error.schema";
import { EDGE } from "./sessions.testing";

/**
 * Shared pieces of the edge's property-based fuzz tests: the contract every answer must keep
 * (never a 5xx; every 4xx is `{error: {code, message}}`), generators of hostile input, and a
 * bounded runner that reports how many cases it ran.
 */

/** `AREA.REASON`, as contracts/error.schema.ts promises clients who switch on the code. */
export const ERROR_CODE = /^[A-Z]+\.[A-Z_]+$/;

export interface ErrorShape {
  code: string;
  message: string;
}

/**
 * Asserts the contract on one answer and returns its error (null for 1xx–3xx). When `field` is
 * given the answer must be a 4xx whose message names it: the near-valid cases know what they broke.
 */
export async function expectContract(
  response: Response,
  field?: string,
): Promise<ErrorShape | null> {
  const text = await response.text();
  expect(response.status, `5xx: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (response.status < 400) {
    expect(field, `accepted although ${field} was broken: ${text.slice(0, 300)}`).toBeUndefined();
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    expect.fail(`${response.status} body is not JSON: ${text.slice(0, 300)}`);
  }
  const parsed = v.safeParse(ErrorBodySchema, json);
  expect(parsed.success, `${response.status} body is not {error:{code,message}}: ${text}`).toBe(
    true,
  );
  const error = (json as { error: ErrorShape }).error;
  expect(error.code).toMatch(ERROR_CODE);
  expect(error.message.length).toBeGreaterThan(0);
  if (field !== undefined) expect(error.message).toContain(field);
  return error;
}

/** A vitest timeout for a property bounded by `timeLimitMs`: room for the last case and shrinking. */
export const timeoutFor = (timeLimitMs: number) => timeLimitMs + 30_000;

export interface Bounds {
  numRuns: number;
  /** Stop early (and still pass) after this long: the machine is shared and slow. */
  timeLimitMs: number;
}

/**
 * Runs an async property within its bounds and prints `fuzz <boundary>: N cases`, so a run shows
 * what each boundary actually got through rather than what it was asked for.
 */
export async function fuzz<T>(
  boundary: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  bounds: Bounds,
): Promise<number> {
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      cases++;
      await predicate(value);
    }),
    {
      numRuns: bounds.numRuns,
      interruptAfterTimeLimit: bounds.timeLimitMs,
      markInterruptAsFailure: false,
    },
  );
  console.log(`fuzz ${boundary}: ${cases} cases`);
  expect(cases).toBeGreaterThan(0);
  return cases;
}

/** Any JSON value, including deep nesting, unicode strings and numbers JSON cannot keep (NaN → null). */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });

/** Numbers a schema must refuse or bound: huge, negative, fractional, NaN, infinities, -0. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-1, -0, 0.5, 1e308, -1e308, 2 ** 53 + 1, Number.NaN, Infinity, -Infinity),
  fc.double(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
);

/**
 * Strings that break naive parsing: unicode, control characters, path tricks. Short, so a body
 * carrying one stays under the routes' size limits and reaches field validation.
 */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "../", "%2e%2e", "\u0000", "\uFFFF", "😀", "null", "[]", "{}", "a.b.c"),
  fc.string({ minLength: 100, maxLength: 300 }),
);

/** Well past any field's length bound, and past the small bodies' 1 KB limit. */
export const longString: fc.Arbitrary<string> = fc.string({ minLength: 1500, maxLength: 4000 });

/** A value of the wrong kind for whatever field it replaces. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber.map((n) => (Number.isFinite(n) ? n : null)),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

/** Request bodies that are not JSON at all, or JSON of the wrong shape. */
export const anyBody: fc.Arbitrary<string> = fc.oneof(
  anyJson.map((value) => JSON.stringify(value) ?? "null"),
  longString,
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom("", "{", '{"a":', "[1,2", "\u0000", "NaN", "undefined", '{"__proto__":{}}'),
);

/** Header values fetch accepts (visible ASCII and inner spaces): fetch itself throws on others. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 60,
  }),
  fc.constantFrom("-1", "0", "1e3", "NaN", "Infinity", "18446744073709551616", "5 ", "0x10", ""),
);

/** Authorization headers that must all be refused: garbage, wrong schemes, forged-looking JWTs. */
export const badAuthorization: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom("", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer a.b.c", "Bearer a b"),
  headerValue.map((s) => `Bearer ${s}`),
  headerValue,
  fc
    .tuple(
      fc.base64String({ maxLength: 40 }),
      fc.base64String({ maxLength: 80 }),
      fc.base64String({ maxLength: 44 }),
    )
    .map(([h, p, s]) => `Bearer ${h}.${p}.${s}`),
  // A real header and payload shape signed with the wrong key: alg none, or a forged signature.
  fc.constantFrom(
    "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LXgiLCJyZWdpb24iOiJldSIsInNpZCI6InMiLCJleHAiOjk5OTk5OTk5OTl9.",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LXgiLCJyZWdpb24iOiJldSIsInNpZCI6InMiLCJleHAiOjk5OTk5OTk5OTl9.AAAA",
  ),
);

/** One mutation of a valid JSON object: a field made wrong, or removed, at a dotted path. */
export interface Mutation {
  path: string;
  kind: "wrong" | "missing";
  value?: unknown;
}

/** `value` with the field at `path` replaced by `mutation.value`, or deleted. */
export function applyMutation<T>(valid: T, mutation: Mutation): unknown {
  const copy: unknown = structuredClone(valid);
  const keys = mutation.path.split(".");
  let node = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (mutation.kind === "missing") delete node[last];
  else node[last] = mutation.value;
  return copy;
}

/**
 * A mutation of one of `fields`: each maps a path to the values that must be refused there.
 * Listing refused values per field (rather than any random value) keeps the oracle exact: the
 * mutated body is invalid at that field and nowhere else.
 */
export function mutationOf(
  fields: Record<string, { invalid: fc.Arbitrary<unknown>; required: boolean }>,
): fc.Arbitrary<Mutation> {
  return fc.oneof(
    ...Object.entries(fields).map(([path, spec]) =>
      spec.required
        ? fc.oneof(
            spec.invalid.map((value): Mutation => ({ path, kind: "wrong", value })),
            fc.constant<Mutation>({ path, kind: "missing" }),
          )
        : spec.invalid.map((value): Mutation => ({ path, kind: "wrong", value })),
    ),
  );
}

/** Anything but a string: the first rule of every string field. */
export const notAString: fc.Arbitrary<unknown> = wrongValue.filter((x) => typeof x !== "string");

/** Strings failing `pattern`, drawn from the hostile ones. */
export function stringNotMatching(pattern: RegExp): fc.Arbitrary<string> {
  return hostileString.filter((s) => !pattern.test(s));
}

/** One raw request through the Worker, as a client on the internet could send it. */
export function request(
  method: string,
  path: string,
  init: { headers?: Record<string, string | undefined>; body?: string | Uint8Array } = {},
): Promise<Response> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    if (value !== undefined) headers.set(name, value);
  }
  return SELF.fetch(`${EDGE}${path}`, {
    method,
    headers,
    // The answer itself, as a client sees it, not where a redirect leads.
    redirect: "manual",
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}
