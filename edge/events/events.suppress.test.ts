import { describe, expect, it } from "vitest";
import { CatalogKeys } from "../../contracts/keyspace";
import { edgeFetch, getFeed, tokenFor } from "../../testing/edge/feed/feed.testing";
import { rank, seedVideos } from "../../testing/worker-lib/redis.testing";

async function postEvents(token: string, events: unknown[]): Promise<Response> {
  return edgeFetch("/v1/events", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
}

describe("POST /v1/events → UserFeed suppression", () => {
  it("keeps a not_interested creator and sound, and a hard-skipped creator, off the next pages", async () => {
    const run = crypto.randomUUID().slice(0, 8);
    const user = `u-sup-${run}`;
    const ids = await seedVideos(`sup${run}`, 60, { creator: (i) => `c${i % 6}-${run}` });
    await rank(CatalogKeys.forYou(user), ids);
    const token = await tokenFor(user);
    const first = await getFeed(token);
    expect(first.body.items.map((item) => item.creator_id)).toContain(`c0-${run}`);

    const response = await postEvents(token, [
      // No creator on the event: the edge looks it up in the catalog.
      { id: "n1", type: "not_interested", video_id: ids[0], ts: Date.now() },
      { id: "h1", type: "skip", video_id: ids[1], ts: Date.now(), watch_ms: 300 },
      { id: "s1", type: "skip", video_id: ids[2], ts: Date.now(), watch_ms: 8000 },
    ]);
    expect(response.status).toBe(202);

    const shown = [];
    let cursor = first.body.next_cursor;
    for (let page = 0; page < 4; page++) {
      const next = await getFeed(token, `?cursor=${cursor}`);
      shown.push(...next.body.items);
      cursor = next.body.next_cursor;
    }
    expect(shown.length).toBeGreaterThan(20);
    const creators = new Set(shown.map((item) => item.creator_id));
    expect(creators.has(`c0-${run}`)).toBe(false);
    expect(creators.has(`c1-${run}`)).toBe(false);
    // A slow skip is not a rejection: that creator keeps its place.
    expect(creators.has(`c2-${run}`)).toBe(true);
    // not_interested also drops the sound (sup-0 and sup-30 share audio-0).
    expect(shown.map((item) => item.audio_id)).not.toContain("audio-0");
  });
});
