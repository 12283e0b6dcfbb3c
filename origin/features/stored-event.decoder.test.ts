import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { ClientEventSchema, EVENT_TYPES, StoredEventSchema } from "../../contracts/event.schema";
import { decodeStoredEvent } from "./stored-event.decoder";

type Json = Record<string, unknown>;

/** A deterministic stream of numbers in [0, 1), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

const pick = <T>(rand: () => number, items: readonly T[]): T =>
  items[Math.floor(rand() * items.length)]!;

/** Entries as the edge writes them: every variant, with and without its optional fields. */
function validEntry(rand: () => number, n: number): Json {
  const type = EVENT_TYPES[n % EVENT_TYPES.length]!;
  const event: Json = { id: `e-${n}.x:1`, type, video_id: `v_${n}`, ts: 1_700_000_000_000 + n };
  if (type === "follow" || type === "unfollow" || rand() < 0.5) event.creator_id = `c${n % 7}`;
  if (rand() < 0.3) event.audio_id = `A-${n}`;
  if (type === "progress") {
    event.watch_ms = Math.floor(rand() * 10_000);
    event.position_ms = 3_600_000;
    event.duration_ms = 0;
  }
  if (type === "skip" && rand() < 0.5) event.watch_ms = Math.floor(rand() * 1_000);
  return {
    event,
    user_id: `user_${n}`,
    session_id: pick(rand, ["s", "sess-1", "é".repeat(64)]),
    region: pick(rand, ["eu", "us-east", "abcdefgh-12345678"]),
    received_at: 1_700_000_000_000 + n,
    weight: pick(rand, [1, 10, 1_000, 3.3333333333333335]),
  };
}

/** Values that sit on either side of some field's bounds or pattern, or are the wrong type. */
const EDGE_VALUES: unknown[] = [
  undefined,
  null,
  "",
  "a",
  "a b",
  "a\nb",
  "a.b:c",
  "A-z_0",
  "x".repeat(64),
  "x".repeat(65),
  "eu-",
  "EU",
  "us-east-1",
  "abcdefghi",
  "ünï",
  0,
  -0,
  -1,
  0.5,
  1,
  999.5,
  1_000,
  1_000.5,
  3_600_000,
  3_600_001,
  1e21,
  Number.MAX_SAFE_INTEGER,
  "12",
  true,
  [],
  {},
  ...EVENT_TYPES,
  "unknown",
];

const EVENT_FIELDS = [
  "type",
  "id",
  "video_id",
  "ts",
  "creator_id",
  "audio_id",
  "watch_ms",
  "position_ms",
  "duration_ms",
  "extra",
];
const STORED_FIELDS = [
  "event",
  "user_id",
  "session_id",
  "region",
  "received_at",
  "weight",
  "extra",
];

/** Each valid entry with one field set to each edge value (or removed, for undefined). */
function* mutations(entry: Json): Generator<Json> {
  const event = entry.event as Json;
  for (const value of EDGE_VALUES) {
    for (const field of STORED_FIELDS) {
      const copy: Json = { ...entry, [field]: value };
      if (value === undefined) delete copy[field];
      yield copy;
    }
    for (const field of EVENT_FIELDS) {
      const copy: Json = { ...event, [field]: value };
      if (value === undefined) delete copy[field];
      yield { ...entry, event: copy };
    }
  }
}

/** What the schema the edge validates with makes of an entry's JSON. */
function bySchema(json: string): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = v.safeParse(StoredEventSchema, raw);
  return parsed.success ? parsed.output : null;
}

function expectSameAsSchema(json: string): void {
  const decoded = decodeStoredEvent(json);
  const expected = bySchema(json);
  expect(decoded, json).toStrictEqual(expected);
  // Same key order too: consumers that re-serialize an event write what the schema would.
  expect(JSON.stringify(decoded), json).toBe(JSON.stringify(expected));
}

describe("decodeStoredEvent", () => {
  it("reads every entry an edge writes as StoredEventSchema does, dropping unknown fields", () => {
    const rand = random(11);
    let accepted = 0;
    for (let n = 0; n < 500; n++) {
      const json = JSON.stringify({ ...validEntry(rand, n), note: "dropped" });
      expectSameAsSchema(json);
      if (decodeStoredEvent(json)) accepted++;
    }
    expect(accepted).toBe(500);
  });

  it("rejects exactly the entries StoredEventSchema rejects", () => {
    const rand = random(23);
    let rejected = 0;
    let checked = 0;
    for (let n = 0; n < EVENT_TYPES.length * 4; n++) {
      for (const entry of mutations(validEntry(rand, n))) {
        const json = JSON.stringify(entry);
        expectSameAsSchema(json);
        if (decodeStoredEvent(json) === null) rejected++;
        checked++;
      }
    }
    // Both sides of the bounds are exercised: many mutations break an entry, some do not.
    expect(rejected).toBeGreaterThan(checked / 3);
    expect(checked - rejected).toBeGreaterThan(checked / 10);
  });

  it("rejects what is not a stored event at all", () => {
    for (const json of ["{not json", "", "null", "1", '"e"', "[]", "[{}]", "{}", '{"event":[]}']) {
      expect(decodeStoredEvent(json), json).toBeNull();
      expectSameAsSchema(json);
    }
  });

  it("knows every field of every event variant the schema has", () => {
    // A new field in contracts/event.schema.ts must be taught to stored-event.decoder.ts.
    const fields = Object.fromEntries(
      ClientEventSchema.options.map((option) => [
        option.entries.type.literal,
        Object.keys(option.entries).sort(),
      ]),
    );
    const base = ["audio_id", "creator_id", "id", "ts", "type", "video_id"];
    expect(fields).toEqual({
      ...Object.fromEntries(EVENT_TYPES.map((type) => [type, base])),
      progress: [...base, "duration_ms", "position_ms", "watch_ms"].sort(),
      skip: [...base, "watch_ms"].sort(),
    });
    expect(Object.keys(StoredEventSchema.entries).sort()).toEqual(
      STORED_FIELDS.slice(0, -1).sort(),
    );
  });
});
