import { env } from "cloudflare:test";
import * as fc from "fast-check";
import * as v from "valibot";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ClientEventSchema,
  EVENT_TYPES,
  EventBatchResponseSchema,
  isLowValue,
  partitionOf,
  type StoredEvent,
} from "../../contracts/event.schema";
import { hash32 } from "../../contracts/hash";
import { EventKeys } from "../../contracts/keyspace";
import {
  anyBody,
  anyJson,
  applyMutation,
  badAuthorization,
  expectContract,
  fuzz,
  hostileNumber,
  hostileString,
  type Mutation,
  mutationOf,
  notAString,
  request,
  stringNotMatching,
  timeoutFor,
} from "../../testing/edge/fuzz.testing";
import { redis, seedCatalog } from "../../testing/worker-lib/redis.testing";
import { issueSessionToken } from "../session/session-token";

const partitions = Number(env.EVENT_PARTITIONS);
const SAMPLE_RATE = Number(env.EVENTS_SAMPLE_RATE);
// The run's own catalog: seedCatalog gives the i-th video 15,000 + i ms.
const VIDEOS = ["fz-ev-0", "fz-ev-1", "fz-ev-2"];
const SHORTEST_MS = 15_000;
const BOUND_MS = SHORTEST_MS + 2_000;
const EVENT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const REF_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A fresh user per case: the rate limits and dedupe keys are per user, and Redis is shared. */
const freshUser = () => `u-fz-${crypto.randomUUID().slice(0, 13)}`;

async function tokenOf(userId: string): Promise<string> {
  return (await issueSessionToken(env.SIGNING_SECRET, { userId, region: "eu" })).token;
}

function postEvents(token: string | undefined, body: string): Promise<Response> {
  return request("POST", "/v1/events", {
    headers: {
      "content-type": "application/json",
      authorization: token === undefined ? undefined : `Bearer ${token}`,
    },
    body,
  });
}

type Counts = v.InferOutput<typeof EventBatchResponseSchema>;

/** A 202 accounts for every event it was sent, once: accepted, duplicate, sampled out or rejected. */
async function expectAccounted(response: Response, sent: number): Promise<Counts> {
  expect(response.status).toBe(202);
  const counts = v.parse(EventBatchResponseSchema, await response.json());
  expect(counts.accepted + counts.duplicates + counts.sampled_out + counts.rejected.length).toBe(
    sent,
  );
  return counts;
}

const millis = fc.integer({ min: 1_000, max: SHORTEST_MS });
const video = fc.constantFrom(...VIDEOS);

/** A valid, high-value event of any type: never sampled out, always on a live video. */
const validEvent = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    video_id: video,
    ts: fc.nat(),
    watch: millis,
  })
  .map(({ type, video_id, ts, watch }): Record<string, unknown> => {
    const base = { id: `e-${crypto.randomUUID()}`, type, video_id, ts };
    if (type === "progress") {
      return { ...base, watch_ms: watch, position_ms: watch, duration_ms: SHORTEST_MS };
    }
    if (type === "follow" || type === "unfollow") return { ...base, creator_id: "c-fz" };
    if (type === "skip") return { ...base, watch_ms: watch };
    return base;
  });

const idInvalid = fc.oneof(notAString, stringNotMatching(EVENT_ID));
const refInvalid = fc.oneof(notAString, stringNotMatching(REF_ID));
/** Anything that is not an integer in [min, max], including numbers just outside it. */
const notIntegerIn = (min: number, max: number) =>
  fc
    .oneof(notAString, hostileNumber, hostileString, fc.constant(max + 1))
    .filter((x) => !(typeof x === "number" && Number.isInteger(x) && x >= min && x <= max));
const millisInvalid = notIntegerIn(0, 3_600_000);

/** What makes each field of an event of `type` invalid, and whether it may be left out. */
function fieldsOf(type: string) {
  const fields: Record<string, { invalid: fc.Arbitrary<unknown>; required: boolean }> = {
    id: { invalid: idInvalid, required: true },
    type: {
      invalid: fc.oneof(
        notAString,
        hostileString.filter((s) => !EVENT_TYPES.includes(s as never)),
      ),
      required: true,
    },
    video_id: { invalid: refInvalid, required: true },
    ts: { invalid: notIntegerIn(0, Number.MAX_VALUE), required: true },
    creator_id: { invalid: refInvalid, required: type === "follow" || type === "unfollow" },
    audio_id: { invalid: refInvalid, required: false },
  };
  if (type === "progress") {
    for (const name of ["watch_ms", "position_ms", "duration_ms"]) {
      fields[name] = { invalid: millisInvalid, required: true };
    }
  }
  if (type === "skip") fields.watch_ms = { invalid: millisInvalid, required: false };
  return fields;
}

/** A valid batch with one event broken at one field, and that event's index. */
const nearValidBatch = fc
  .tuple(fc.array(validEvent, { minLength: 1, maxLength: 6 }), fc.nat())
  .chain(([events, pick]) => {
    const index = pick % events.length;
    const target = events[index]!;
    const broken = fc.oneof(
      mutationOf(fieldsOf(String(target.type))),
      // Past the schema: well-formed, but the catalog has no such live video.
      fc
        .stringMatching(/^[A-Za-z0-9_-]{1,40}$/)
        .map((id): Mutation => ({ path: "video_id", kind: "wrong", value: `fz-missing-${id}` })),
    );
    const tooLong =
      target.type === "progress"
        ? [
            fc
              .tuple(
                fc.constantFrom("watch_ms", "position_ms"),
                fc.integer({ min: BOUND_MS + 100, max: 3_600_000 }),
              )
              .map(([path, value]): Mutation => ({ path, kind: "wrong", value })),
          ]
        : [];
    return fc.oneof(broken, ...tooLong).map((mutation) => ({ events, index, mutation }));
  });

describe("POST /v1/events under fuzz", () => {
  beforeAll(async () => {
    await seedCatalog(VIDEOS);
  });

  it("refuses every bad Authorization header with 401 in the error shape", async () => {
    await fuzz(
      "POST /v1/events (authorization)",
      badAuthorization,
      async (authorization) => {
        const response = await request("POST", "/v1/events", {
          headers: { authorization, "content-type": "application/json" },
          body: "{}",
        });
        expect(response.status).toBe(401);
        await expectContract(response, "authorization");
      },
      { numRuns: 100, timeLimitMs: 5_000 },
    );
  });

  it(
    "answers any body within the contract, and any 202 accounts for every event",
    async () => {
      const body = fc.oneof(
        anyBody.map((raw) => ({ raw, field: undefined as string | undefined })),
        fc
          .array(fc.oneof(anyJson, validEvent), { minLength: 1, maxLength: 20 })
          .map((events) => ({ raw: JSON.stringify({ events }), field: undefined })),
        mutationOf({
          events: {
            invalid: fc.oneof(
              notAString.filter((x) => !Array.isArray(x) || x.length === 0),
              hostileString,
              fc.constant([]),
            ),
            required: true,
          },
        }).map((m) => ({ raw: JSON.stringify(applyMutation({ events: [] }, m)), field: "events" })),
        fc
          .integer({ min: 101, max: 300 })
          .map((n) => ({ raw: JSON.stringify({ events: Array(n).fill(0) }), field: "events" })),
      );
      await fuzz(
        "POST /v1/events (body)",
        body,
        async ({ raw, field }) => {
          const response = await postEvents(await tokenOf(freshUser()), raw);
          if (response.status === 202) {
            const parsed: unknown = JSON.parse(raw);
            const sent = (parsed as { events: unknown[] }).events.length;
            await expectAccounted(response, sent);
            expect(field).toBeUndefined();
          } else {
            await expectContract(response, field);
          }
        },
        { numRuns: 150, timeLimitMs: 12_000 },
      );
    },
    timeoutFor(12_000),
  );

  it(
    "rejects exactly the broken event of a near-valid batch, naming its field",
    async () => {
      await fuzz(
        "POST /v1/events (near-valid event)",
        nearValidBatch,
        async ({ events, index, mutation }) => {
          const batch = events.map((event, i) =>
            i === index ? applyMutation(event, mutation) : event,
          );
          const response = await postEvents(
            await tokenOf(freshUser()),
            JSON.stringify({ events: batch }),
          );
          const counts = await expectAccounted(response, batch.length);
          expect(counts.rejected.map((r) => r.index)).toEqual([index]);
          const rejection = counts.rejected[0]!;
          expect(rejection.field).toBe(mutation.path);
          expect(rejection.reason.length).toBeGreaterThan(0);
        },
        { numRuns: 150, timeLimitMs: 12_000 },
      );
    },
    timeoutFor(12_000),
  );
});

/** The entries appended to the user's partition after `since`, the user's only. */
async function storedSince(userId: string, since: string): Promise<StoredEvent[]> {
  const stream = EventKeys.stream(partitionOf(userId, partitions));
  const entries = await redis.xrange<Record<string, unknown>>(stream, since, "+");
  return Object.values(entries)
    .map(
      (fields) => (typeof fields.e === "string" ? JSON.parse(fields.e) : fields.e) as StoredEvent,
    )
    .filter((stored) => stored.user_id === userId);
}

/** The exclusive start of "what comes after now" on the user's partition. */
async function streamMark(userId: string): Promise<string> {
  const stream = EventKeys.stream(partitionOf(userId, partitions));
  const last = Object.keys(await redis.xrevrange(stream, "+", "-", 1))[0];
  return last ? `(${last}` : "-";
}

/**
 * Every type but unlike and unfollow: with only likes and follows, a user's final like/follow state
 * is the same in whatever order racing batches land, so the oracle stays exact.
 */
const ACCOUNTED = EVENT_TYPES.filter((t) => t !== "unlike" && t !== "unfollow");
const CREATORS = ["c-fz-a", "c-fz-b", "c-fz-c"];
const changesState = (type: unknown) => type === "like" || type === "follow";

const accountingRun = fc
  .record({
    sessions: fc.integer({ min: 1, max: 4 }),
    pool: fc.array(
      fc.record({
        type: fc.constantFrom(...ACCOUNTED),
        video: video,
        creator: fc.constantFrom(...CREATORS),
        // Some under a second: those are sampled, by a hash, the same way on every retry.
        watch: fc.oneof(fc.integer({ min: 0, max: 999 }), millis),
      }),
      { minLength: 1, maxLength: 25 },
    ),
    batches: fc.array(
      fc.record({
        picks: fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        session: fc.nat(),
        replayOf: fc.option(fc.nat(), { freq: 3 }),
      }),
      { minLength: 1, maxLength: 10 },
    ),
    // Batches in one wave are sent at once: the race the append script must win.
    waveSizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 10 }),
  })
  .map(({ sessions, pool, batches, waveSizes }) => {
    const events = pool.map(({ type, video: video_id, creator, watch }, i) => {
      const base = { id: `p${i}.${Math.random().toString(36).slice(2, 8)}`, type, video_id, ts: i };
      if (type === "progress") {
        return { ...base, watch_ms: watch, position_ms: watch, duration_ms: SHORTEST_MS };
      }
      if (type === "skip") return { ...base, watch_ms: watch };
      if (type === "follow") return { ...base, creator_id: creator };
      return base;
    });
    const built: { session: number; events: Record<string, unknown>[] }[] = [];
    for (const batch of batches) {
      const earlier =
        batch.replayOf === null ? undefined : built[batch.replayOf % (built.length || 1)];
      // A replay is the same batch again from any session, as a client retry after a lost 202.
      built.push({
        session: batch.session % sessions,
        events: earlier ? earlier.events : batch.picks.map((p) => events[p % events.length]!),
      });
    }
    return { sessions, events, batches: built, waveSizes };
  });

describe("POST /v1/events accounting under fuzz", () => {
  beforeAll(async () => {
    await seedCatalog(VIDEOS);
  });

  it(
    "stores and counts each distinct event and like/follow once across replays, duplicates and racing sessions",
    async () => {
      await fuzz(
        "POST /v1/events (accounting)",
        accountingRun,
        async ({ sessions, batches, waveSizes }) => {
          const userId = freshUser();
          const tokens = await Promise.all(Array.from({ length: sessions }, () => tokenOf(userId)));
          const since = await streamMark(userId);
          let accepted = 0;
          let next = 0;
          for (let w = 0; next < batches.length; w++) {
            const wave = batches.slice(next, next + (waveSizes[w % waveSizes.length] ?? 1));
            next += wave.length;
            const answers = await Promise.all(
              wave.map(async (batch) => {
                const response = await postEvents(
                  tokens[batch.session],
                  JSON.stringify({ events: batch.events }),
                );
                return expectAccounted(response, batch.events.length);
              }),
            );
            for (const counts of answers) {
              expect(counts.rejected).toEqual([]);
              accepted += counts.accepted;
            }
          }
          const sent = new Map(batches.flatMap((b) => b.events).map((e) => [String(e.id), e]));
          const stored = await storedSince(userId, since);
          const storedIds = stored.map((s) => s.event.id);
          // Nothing counted twice: each stored id once, and the 202s add up to what was stored.
          expect(new Set(storedIds).size).toBe(storedIds.length);
          expect(accepted).toBe(stored.length);
          for (const id of storedIds) expect(sent.has(id), `stored ${id}, never sent`).toBe(true);
          // Nothing lost: a stateless event is stored unless sampling shed it, which a hash of
          // (user, id) decides, so the oracle knows exactly which.
          const kept = new Set(storedIds);
          const events = [...sent.values()].map((e) => v.parse(ClientEventSchema, e));
          const sampledIn = (id: string) => hash32(`${userId}:${id}`) / 0x1_0000_0000 < SAMPLE_RATE;
          for (const event of events) {
            if (changesState(event.type)) continue;
            const keep = !isLowValue(event) || sampledIn(event.id);
            expect(kept.has(event.id), `${keep ? "lost" : "kept sampled-out"} ${event.id}`).toBe(
              keep,
            );
          }
          // A like of a video, or a follow of a creator, counts once however many ids carry it.
          const target = (e: (typeof events)[number]) =>
            e.type === "follow" ? `follow:${e.creator_id}` : `like:${e.video_id}`;
          const wanted = new Set(events.filter((e) => changesState(e.type)).map(target));
          const got = stored
            .map((s) => s.event)
            .filter((e) => changesState(e.type))
            .map(target);
          expect(got.sort()).toEqual([...wanted].sort());
          for (const key of wanted) {
            const [kind, member] = key.split(":") as [string, string];
            const set = kind === "like" ? EventKeys.likes(userId) : EventKeys.follows(userId);
            expect(await redis.sismember(set, member)).toBe(1);
          }
          // Dedupe marks: one per stored stateless event and per like/follow id (the script marks
          // an id before finding the state unchanged), none for a sampled-out event.
          const marks = [...sent.keys()].map((id) => EventKeys.dedupe(userId, id));
          const stateIds = events.filter((e) => changesState(e.type)).length;
          const storedStateless = stored.filter((s) => !changesState(s.event.type)).length;
          expect(await redis.exists(...marks)).toBe(storedStateless + stateIds);
        },
        { numRuns: 60, timeLimitMs: 20_000 },
      );
    },
    timeoutFor(20_000),
  );
});
