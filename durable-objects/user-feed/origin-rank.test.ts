import { env } from "cloudflare:test";
import * as v from "valibot";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RankResponseSchema } from "../../contracts/rank.schema";
import { DEAD_URL } from "../../testing/worker-lib/redis.testing";
import { rankAtOrigin } from "./origin-rank";

const body = (userId: string) => ({
  user_id: userId,
  region: "zz",
  limit: 50,
  recent: [],
  exclude: ["some-video"],
});

/** The origin answering `/v1/rank` with `answer`; every other request goes out unchanged. */
function originAnswers(answer: () => Promise<Response>): void {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return new URL(url).pathname === "/v1/rank" ? answer() : realFetch(input, init);
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("rankAtOrigin", () => {
  it("returns the origin's ranking", async () => {
    const answer = await rankAtOrigin(env, body("r-ok"));
    expect(v.is(RankResponseSchema, answer)).toBe(true);
    expect(answer.user_id).toBe("r-ok");
    expect(answer.items.map((item) => item.video_id)).not.toContain("some-video");
  });

  it("rejects when the origin is down", async () => {
    await expect(rankAtOrigin({ ...env, ORIGIN_URL: DEAD_URL }, body("r-down"))).rejects.toThrow();
  });

  it("rejects when the origin refuses the call", async () => {
    await expect(
      rankAtOrigin({ ...env, ORIGIN_SHARED_SECRET: "not-the-secret" }, body("r-refused")),
    ).rejects.toThrow(/HTTP 401/);
  });

  it("rejects an answer that is not a ranking, naming the field", async () => {
    originAnswers(async () => Response.json({ user_id: "r-garbage", items: "none" }));
    await expect(rankAtOrigin(env, body("r-garbage"))).rejects.toThrow(/mode|items|arm/);
  });

  it("gives up on an origin that does not answer within the deadline", async () => {
    originAnswers(() => new Promise<Response>(() => {}));
    await expect(rankAtOrigin(env, body("r-late"))).rejects.toThrow(/within 1000 ms/);
  });
});
