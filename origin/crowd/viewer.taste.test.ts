import { describe, expect, it } from "vitest";
import { DEMO_TOPIC_TAGS, demoCatalog } from "../demo/demo.catalog";
import {
  interestIn,
  type Reaction,
  react,
  topicOf,
  viewerTaste,
  type Watchable,
} from "./viewer.taste";

const topics = DEMO_TOPIC_TAGS;
// The demo catalog's videos as a feed shows them: id, creator, hashtags, duration.
const videos: Watchable[] = demoCatalog(240).map((video) => ({
  id: `demo-${video.n}`,
  creator_id: video.creator,
  hashtags: video.metadata.hashtags.split(","),
  duration_ms: video.clip.seconds * 1000,
}));

function mix(reactions: Reaction[]) {
  const n = reactions.length;
  const rate = (test: (r: Reaction) => boolean) => reactions.filter(test).length / n;
  return {
    complete: rate((r) => r.completed),
    like: rate((r) => r.like),
    share: rate((r) => r.share),
    follow: rate((r) => r.follow),
    hardSkip: rate((r) => !r.completed && r.watchMs < 1_000),
  };
}

describe("viewer taste", () => {
  it("is a pure function of seed and viewer", () => {
    expect(viewerTaste(7, 3, topics)).toEqual(viewerTaste(7, 3, topics));
    const reactions = videos.map((video) => react(viewerTaste(7, 3, topics), video));
    expect(videos.map((video) => react(viewerTaste(7, 3, topics), video))).toEqual(reactions);
    // Another seed is another crowd.
    const others = Array.from({ length: 12 }, (_, i) => viewerTaste(8, i, topics).favourite);
    const mine = Array.from({ length: 12 }, (_, i) => viewerTaste(7, i, topics).favourite);
    expect(others).not.toEqual(mine);
  });

  it("spreads favourites over the topics and gives each viewer one clear favourite", () => {
    const tastes = Array.from({ length: 120 }, (_, i) => viewerTaste("spread", i, topics));
    const favourites = new Set(tastes.map((taste) => taste.favourite));
    expect(favourites.size).toBeGreaterThanOrEqual(10);
    for (const taste of tastes) {
      const levels = [...taste.topics.values()].sort((a, b) => b - a);
      expect(taste.topics.get(taste.favourite)).toBe(levels[0]);
      expect(levels[0]).toBeGreaterThanOrEqual(0.9);
      expect(levels[1]).toBeLessThanOrEqual(0.65);
      // One or two side interests, the rest low.
      expect(levels.filter((level) => level > 0.3).length).toBeLessThanOrEqual(3);
    }
  });

  it("completes and likes the favourite topic and hard-skips the topics it does not care for", () => {
    const favourite = { complete: [] as Reaction[], low: [] as Reaction[] };
    for (let viewer = 0; viewer < 40; viewer++) {
      const taste = viewerTaste("mix", viewer, topics);
      for (const video of videos) {
        const topic = topicOf(video, taste);
        const level = topic === undefined ? 0 : (taste.topics.get(topic) ?? 0);
        if (topic === taste.favourite) favourite.complete.push(react(taste, video));
        else if (level < 0.2) favourite.low.push(react(taste, video));
      }
    }
    const liked = mix(favourite.complete);
    const disliked = mix(favourite.low);
    expect(liked.complete).toBeGreaterThan(0.8);
    expect(liked.like).toBeGreaterThan(0.4);
    expect(liked.share).toBeGreaterThan(0.05);
    expect(liked.follow).toBeGreaterThan(0.02);
    expect(liked.hardSkip).toBeLessThan(0.05);
    expect(disliked.complete).toBeLessThan(0.15);
    expect(disliked.like).toBeLessThan(0.02);
    expect(disliked.hardSkip).toBeGreaterThan(0.6);
  });

  it("reports watches a player could produce", () => {
    const taste = viewerTaste(1, 0, topics);
    for (const video of videos) {
      const reaction = react(taste, video);
      expect(reaction.interest).toBe(interestIn(taste, video));
      if (reaction.completed) expect(reaction.watchMs).toBe(video.duration_ms);
      else expect(reaction.watchMs).toBeLessThan(video.duration_ms);
      expect(reaction.watchMs).toBeGreaterThanOrEqual(250);
      // Taps come only with a completed watch; a follow only with a like.
      if (!reaction.completed) expect(reaction.like || reaction.share).toBe(false);
      if (reaction.follow) expect(reaction.like).toBe(true);
    }
  });
});
