import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { encodeForYouMember, FeedQuerySchema, parseForYouMember } from "./feed.schema";

describe("fyp:{user} members", () => {
  it("carry the video id and, optionally, the rail and the A/B arm", () => {
    expect(parseForYouMember(encodeForYouMember("v1", "social", "wide-fresh"))).toEqual({
      id: "v1",
      reason: "social",
      arm: "wide-fresh",
    });
    expect(parseForYouMember(encodeForYouMember("v1", "social"))).toEqual({
      id: "v1",
      reason: "social",
      arm: "control",
    });
    expect(parseForYouMember("v2")).toEqual({ id: "v2", reason: "ann", arm: "control" });
    expect(parseForYouMember("v2:trending")).toEqual({
      id: "v2",
      reason: "trending",
      arm: "control",
    });
    expect(parseForYouMember("v3:nonsense")).toBeNull();
    expect(parseForYouMember("v3:ann:bad arm")).toBeNull();
    expect(parseForYouMember("v3:ann:a:b")).toBeNull();
    expect(parseForYouMember("bad/id")).toBeNull();
  });
});

describe("FeedQuerySchema", () => {
  it("turns limit into a number within 5–10", () => {
    expect(v.parse(FeedQuerySchema, { limit: "7" })).toEqual({ limit: 7 });
    expect(v.safeParse(FeedQuerySchema, { limit: "11" }).success).toBe(false);
    expect(v.safeParse(FeedQuerySchema, { limit: "7.5" }).success).toBe(false);
    expect(v.safeParse(FeedQuerySchema, { cursor: "a.b" }).success).toBe(true);
    expect(v.safeParse(FeedQuerySchema, { cursor: "a b" }).success).toBe(false);
  });
});
