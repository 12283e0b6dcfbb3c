import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  type ClientEvent,
  EVENT_TYPES,
  STREAM_FIELD,
  type StoredEvent,
  StoredEventSchema,
} from "../../contracts/event.schema";
import { anyJson, fuzz, nastyNumber, nastyString } from "../../testing/origin/fuzz/fuzz.testing";
import { decodeStoredEvent } from "./stored-event.decoder";
import { decodeEntry, toEntries } from "./stream-entries";

const REF_CHARS = "ABCXYZabcxyz0189_-".split("");
const refId = fc.string({ unit: fc.constantFrom(...REF_CHARS), minLength: 1, maxLength: 64 });
const clientEventId = fc.string({
  unit: fc.constantFrom(...REF_CHARS, ".", ":"),
  minLength: 1,
  maxLength: 64,
});
const region = fc.oneof(
  fc.stringMatching(/^[a-z]{2,8}$/),
  fc.stringMatching(/^[a-z]{2,8}-[a-z0-9]{1,8}$/),
);
const epochMillis = fc.oneof(fc.constantFrom(0, Number.MAX_SAFE_INTEGER), fc.nat());
const millis = fc.integer({ min: 0, max: 3_600_000 });

/** Every variant of ClientEventSchema, with and without its optional fields. */
const clientEvent: fc.Arbitrary<ClientEvent> = fc
  .record(
    {
      type: fc.constantFrom(...EVENT_TYPES),
      id: clientEventId,
      video_id: refId,
      ts: epochMillis,
      creator_id: refId,
      audio_id: refId,
      watch_ms: millis,
      position_ms: millis,
      duration_ms: millis,
    },
    { requiredKeys: ["type", "id", "video_id", "ts"], noNullPrototype: true },
  )
  .map((raw): ClientEvent => {
    const { type, id, video_id, ts, creator_id, audio_id, watch_ms, position_ms, duration_ms } =
      raw;
    const base = {
      id,
      video_id,
      ts,
      ...(creator_id === undefined ? {} : { creator_id }),
      ...(audio_id === undefined ? {} : { audio_id }),
    };
    switch (type) {
      case "progress":
        return {
          type,
          ...base,
          watch_ms: watch_ms ?? 0,
          position_ms: position_ms ?? 0,
          duration_ms: duration_ms ?? 0,
        };
      case "follow":
      case "unfollow":
        return { type, ...base, creator_id: creator_id ?? "c" };
      case "skip":
        return { type, ...base, ...(watch_ms === undefined ? {} : { watch_ms }) };
      default:
        return { type, ...base };
    }
  });

const storedEvent: fc.Arbitrary<StoredEvent> = fc.record(
  {
    event: clientEvent,
    user_id: refId,
    session_id: fc.string({ unit: "binary", minLength: 1, maxLength: 64 }).filter((s) => {
      // The schema counts UTF-16 units; "binary" units may be two of them.
      return s.length >= 1 && s.length <= 64;
    }),
    region,
    received_at: epochMillis,
    weight: fc.double({ min: 1, max: 1_000, noNaN: true }),
  },
  { noNullPrototype: true },
);

type Json = Record<string, unknown>;

/** A valid entry with one field (top-level or in `event`) replaced by garbage, or removed. */
const nearValid = fc
  .tuple(
    storedEvent,
    fc.boolean(),
    fc.constantFrom(
      "event",
      "user_id",
      "session_id",
      "region",
      "received_at",
      "weight",
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
    ),
    fc.option(fc.oneof(anyJson(), nastyString(), nastyNumber()), { nil: undefined }),
  )
  .map(([entry, inEvent, field, value]) => {
    const target: Json = inEvent ? { ...entry.event } : { ...entry };
    if (value === undefined) delete target[field];
    else target[field] = value;
    return inEvent ? { ...entry, event: target } : target;
  });

/** What the edge's own schema makes of an entry's JSON: the decoder must say exactly the same. */
function bySchema(json: string): StoredEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = v.safeParse(StoredEventSchema, raw);
  return parsed.success ? parsed.output : null;
}

describe("decodeStoredEvent under fuzz", () => {
  it("round-trips every valid stored event exactly", async () => {
    await fuzz(
      "decodeStoredEvent valid round-trip",
      fc.property(storedEvent, (event) => {
        // The edge writes JSON.stringify(stored) into field `e` (edge/events/ingest-batch.ts).
        const json = JSON.stringify(event);
        expect(decodeStoredEvent(json)).toStrictEqual(event);
        expect(decodeEntry({ id: "1-0", fields: [STREAM_FIELD, json] })).toStrictEqual(event);
        expect(v.safeParse(StoredEventSchema, JSON.parse(json)).success).toBe(true);
      }),
      { numRuns: 2_000, timeLimitMs: 4_000 },
    );
  });

  it("never throws on garbage and rejects with null exactly where the schema does", async () => {
    const garbageText = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      anyJson().map((value) => JSON.stringify(value) ?? "undefined"),
      nearValid.map((value) => JSON.stringify(value)),
      // Truncated valid JSON: a partial write or a torn read.
      fc.tuple(storedEvent, fc.nat()).map(([event, cut]) => {
        const json = JSON.stringify(event);
        return json.slice(0, cut % json.length);
      }),
    );
    await fuzz(
      "decodeStoredEvent garbage",
      fc.property(garbageText, (json) => {
        const decoded = decodeStoredEvent(json);
        expect(decoded).toStrictEqual(bySchema(json));
        // Same key order as the schema's output: consumers re-serialize what they decoded.
        expect(JSON.stringify(decoded)).toBe(JSON.stringify(bySchema(json)));
      }),
      { numRuns: 3_000, timeLimitMs: 6_000 },
    );
  });

  it("never throws on malformed stream replies and entries", async () => {
    const field = fc.oneof(fc.constant(STREAM_FIELD), nastyString());
    await fuzz(
      "stream entries garbage",
      fc.property(
        fc.oneof(
          anyJson(),
          fc.array(fc.tuple(fc.string(), fc.array(field, { maxLength: 6 }))),
          fc.array(fc.tuple(anyJson(), anyJson())),
        ),
        (reply) => {
          const entries = toEntries(reply);
          expect(Array.isArray(entries)).toBe(true);
          for (const entry of entries) {
            const decoded = decodeEntry(entry);
            if (decoded !== null)
              expect(v.safeParse(StoredEventSchema, decoded).success).toBe(true);
          }
        },
      ),
      { numRuns: 1_000, timeLimitMs: 3_000 },
    );
  });
});
