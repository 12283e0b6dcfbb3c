import { hash32 } from "../../contracts/hash";

/**
 * A simulated viewer's latent taste and how it turns a video into behaviour. Everything is a pure
 * function of (seed, viewer, video): the same crowd reacts the same way to the same video on every
 * run, whatever order the feed shows it in.
 */
export interface ViewerTaste {
  viewer: number;
  /** The topic (a hashtag) this viewer likes most. */
  favourite: string;
  /** Affinity per topic in [0, 1]: the favourite near 1, one or two others middling, the rest low. */
  topics: ReadonlyMap<string, number>;
  /** Salts the per-creator and per-video draws. */
  salt: string;
}

/** What a viewer sees of a video: the fields of a feed item that taste reads. */
export interface Watchable {
  id: string;
  creator_id: string;
  hashtags: readonly string[];
  duration_ms: number;
}

/** What a viewer does with one video. */
export interface Reaction {
  /** Watch time before moving on, ms, on the first pass (the whole video when completed). */
  watchMs: number;
  completed: boolean;
  /** Extra full loops after the first completion. */
  replays: number;
  like: boolean;
  share: boolean;
  follow: boolean;
  /** The interest that decided it, in [0, 1]. */
  interest: number;
}

/** Under this a skip is a hard skip for the edge (contracts/event.schema.ts HARD_SKIP_MS). */
const HARD_SKIP_MAX_MS = 900;
const HARD_SKIP_MIN_MS = 250;
/** A watch this long or longer is never a hard skip, even for a topic the viewer dislikes. */
const SOFT_SKIP_MIN_MS = 1_200;
/** A creator moves interest by at most this much either way. */
const CREATOR_SWING = 0.15;

/** Uniform in [0, 1) from a string: the simulator's only source of chance. */
export function unit(key: string): number {
  return hash32(key) / 0x1_0000_0000;
}

export function viewerTaste(
  seed: string | number,
  viewer: number,
  topics: readonly string[],
): ViewerTaste {
  if (topics.length === 0) throw new Error("viewerTaste: at least one topic is needed");
  const salt = `${seed}:${viewer}`;
  const draw = (what: string) => unit(`${salt}:taste:${what}`);
  const favourite = topics[Math.floor(draw("favourite") * topics.length)] as string;
  const others = topics.filter((topic) => topic !== favourite);
  // A stable shuffle of the other topics: the first one or two are the viewer's side interests.
  const ranked = [...others].sort((a, b) => draw(`order:${a}`) - draw(`order:${b}`));
  const sideInterests = draw("sides") < 0.5 ? 1 : 2;
  const affinity = new Map<string, number>();
  affinity.set(favourite, 0.9 + 0.1 * draw("favourite-level"));
  ranked.forEach((topic, i) => {
    const level = draw(`level:${topic}`);
    affinity.set(topic, i < sideInterests ? 0.45 + 0.2 * level : 0.02 + 0.13 * level);
  });
  return { viewer, favourite, topics: affinity, salt };
}

/** The item's topic: its first hashtag that is one of the taste's topics. */
export function topicOf(item: Pick<Watchable, "hashtags">, taste: ViewerTaste): string | undefined {
  return item.hashtags.find((tag) => taste.topics.has(tag));
}

/** How much this viewer wants this video, in [0, 1]: the topic's affinity moved by the creator. */
export function interestIn(taste: ViewerTaste, item: Watchable): number {
  let topic = 0;
  for (const tag of item.hashtags) topic = Math.max(topic, taste.topics.get(tag) ?? 0);
  const creator = (unit(`${taste.salt}:creator:${item.creator_id}`) * 2 - 1) * CREATOR_SWING;
  return Math.min(1, Math.max(0, topic + creator));
}

/**
 * The viewer's reaction: completion grows with interest (about 0.95 at 1, 0.4 at 0.55, 0.05 at
 * 0.1); an unfinished video is mostly a hard skip when interest is low and a partial watch when it
 * is middling; likes, shares and follows come only after a completion and grow steeply with interest.
 */
export function react(taste: ViewerTaste, item: Watchable): Reaction {
  const interest = interestIn(taste, item);
  const draw = (what: string) => unit(`${taste.salt}:video:${item.id}:${what}`);
  const duration = item.duration_ms > 0 ? item.duration_ms : 4_000;
  const completed = draw("complete") < 0.02 + 0.93 * interest ** 1.5;
  if (!completed) {
    const hard = draw("hard") < 0.85 * (1 - interest);
    const span = hard
      ? HARD_SKIP_MIN_MS + draw("watch") * (HARD_SKIP_MAX_MS - HARD_SKIP_MIN_MS)
      : SOFT_SKIP_MIN_MS + draw("watch") * Math.max(0, 0.9 * duration - SOFT_SKIP_MIN_MS);
    return {
      watchMs: Math.round(Math.min(span, duration)),
      completed: false,
      replays: 0,
      like: false,
      share: false,
      follow: false,
      interest,
    };
  }
  const like = draw("like") < 0.7 * interest ** 2;
  const creatorFan = unit(`${taste.salt}:creator:${item.creator_id}`) > 0.5;
  return {
    watchMs: duration,
    completed: true,
    replays: draw("replay") < 0.3 * interest ** 2 ? 1 : 0,
    like,
    share: draw("share") < 0.2 * interest ** 3,
    follow: like && draw("follow") < (creatorFan ? 0.3 : 0.1) * interest ** 2,
    interest,
  };
}
