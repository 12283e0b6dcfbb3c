import { hash32 } from "../../contracts/hash";

/**
 * The demo catalog: topics a viewer can tell apart at a glance (palette, background motion, a
 * moving shape, the topic burnt in), niche creators per topic plus two who post everywhere, and
 * sounds that belong to a topic or trend across them. Pure and deterministic: clip `n` is the
 * same video on every machine, so its render is cached and its upload dedups.
 */
export interface DemoSound {
  id: string;
  /** Two alternating notes (Hz), plucked `beats` times a second. */
  notes: readonly [number, number];
  beats: number;
}

export interface DemoCreator {
  id: string;
  language: string;
}

export type GradientType = "linear" | "radial" | "circular" | "spiral";

export interface DemoTopic {
  /** The topic's first hashtag, which names it. */
  tag: string;
  /** A second hashtag every video of the topic carries. */
  also: string;
  /** One of these joins the two on each video. */
  subtags: readonly string[];
  palette: readonly [string, string, string];
  gradient: GradientType;
  /** The shape moving over the background: size (fractions of the frame), colour, path. */
  shape: { w: number; h: number; color: string; motion: Motion };
  phrases: readonly string[];
  creators: readonly DemoCreator[];
  sounds: readonly DemoSound[];
}

export type Motion = "bounce" | "orbit" | "zigzag" | "drift" | "scan" | "pulse" | "hop" | "eight";

const creator = (id: string, language = "en"): DemoCreator => ({ id, language });
const sound = (id: string, low: number, high: number, beats: number): DemoSound => ({
  id,
  notes: [low, high],
  beats,
});

export const DEMO_TOPICS: readonly DemoTopic[] = [
  {
    tag: "dance",
    also: "choreo",
    subtags: ["kpop", "hiphop", "tutorial"],
    palette: ["0xd946ef", "0x7c3aed", "0x22d3ee"],
    gradient: "spiral",
    shape: { w: 0.22, h: 0.22, color: "0xfdf4ff", motion: "bounce" },
    phrases: ["a new move to try", "learn this in a minute", "the chorus step", "freestyle friday"],
    creators: [creator("maya-moves"), creator("kpop-kai"), creator("street-steps", "es")],
    sounds: [sound("snd-dance-pulse", 392, 523, 4), sound("snd-dance-drop", 330, 440, 5)],
  },
  {
    tag: "cooking",
    also: "recipe",
    subtags: ["pasta", "baking", "streetfood"],
    palette: ["0xf97316", "0xfde68a", "0x7c2d12"],
    gradient: "radial",
    shape: { w: 0.26, h: 0.2, color: "0xfff7ed", motion: "orbit" },
    phrases: ["quick pasta for busy evenings", "bread with four things", "the crispiest fries"],
    creators: [creator("chef-marco"), creator("nonna-lucia", "pt-BR"), creator("wok-wednesday")],
    sounds: [sound("snd-cooking-sizzle", 262, 330, 2), sound("snd-cooking-jazz", 294, 370, 3)],
  },
  {
    tag: "pets",
    also: "cats",
    subtags: ["kitten", "dogs", "rescue"],
    palette: ["0x14b8a6", "0xfef08a", "0x134e4a"],
    gradient: "circular",
    shape: { w: 0.2, h: 0.14, color: "0xfefce8", motion: "hop" },
    phrases: ["the cat discovers the box", "first day home", "zoomies at midnight"],
    creators: [creator("whisker-club"), creator("good-boy-daily"), creator("rescue-rita", "de")],
    sounds: [sound("snd-pets-purr", 220, 277, 2), sound("snd-pets-bounce", 440, 587, 6)],
  },
  {
    tag: "travel",
    also: "nature",
    subtags: ["mountains", "beach", "roadtrip"],
    palette: ["0x16a34a", "0x7dd3fc", "0x0c4a6e"],
    gradient: "linear",
    shape: { w: 0.3, h: 0.08, color: "0xf0f9ff", motion: "drift" },
    phrases: ["sunrise over the mountains", "a beach nobody knows", "day three of the road trip"],
    creators: [creator("nomad-nina"), creator("trail-tom"), creator("isla-viajes", "es")],
    sounds: [sound("snd-travel-breeze", 196, 247, 1), sound("snd-travel-strings", 330, 392, 2)],
  },
  {
    tag: "comedy",
    also: "skit",
    subtags: ["office", "parents", "pov"],
    palette: ["0xfacc15", "0xef4444", "0x1f2937"],
    gradient: "spiral",
    shape: { w: 0.18, h: 0.18, color: "0x111827", motion: "zigzag" },
    phrases: ["when the wifi drops mid call", "my mom reading my texts", "pov the last slice"],
    creators: [creator("deadpan-dan"), creator("sketchy-sam"), creator("la-risa", "es")],
    sounds: [sound("snd-comedy-honk", 349, 466, 3), sound("snd-comedy-boing", 523, 698, 4)],
  },
  {
    tag: "football",
    also: "sports",
    subtags: ["goals", "skills", "matchday"],
    palette: ["0x15803d", "0xf8fafc", "0x052e16"],
    gradient: "linear",
    shape: { w: 0.12, h: 0.07, color: "0xffffff", motion: "bounce" },
    phrases: ["the goal of the weekend", "three skills to learn", "matchday in the rain"],
    creators: [creator("golazo-gabi", "pt-BR"), creator("pitch-side"), creator("keepy-uppy")],
    sounds: [sound("snd-football-chant", 294, 392, 2), sound("snd-football-whistle", 880, 988, 6)],
  },
  {
    tag: "diy",
    also: "crafts",
    subtags: ["woodwork", "upcycle", "homedecor"],
    palette: ["0xa16207", "0x84cc16", "0x422006"],
    gradient: "radial",
    shape: { w: 0.34, h: 0.05, color: "0xfef3c7", motion: "pulse" },
    phrases: ["turn a jar into a lamp", "a shelf from one plank", "fixing the wobbly chair"],
    creators: [creator("maker-mo"), creator("glue-gun-grace"), creator("werkbank-jan", "de")],
    sounds: [sound("snd-diy-hammer", 247, 311, 3), sound("snd-diy-acoustic", 330, 415, 2)],
  },
  {
    tag: "tech",
    also: "gadgets",
    subtags: ["phone", "setup", "coding"],
    palette: ["0x1d4ed8", "0x22d3ee", "0x0f172a"],
    gradient: "linear",
    shape: { w: 1, h: 0.022, color: "0x84cc16", motion: "scan" },
    phrases: ["three phone tricks nobody uses", "my desk setup", "this gadget is tiny"],
    creators: [creator("byte-sized"), creator("gadget-gus"), creator("dev-diaries")],
    sounds: [sound("snd-tech-synth", 440, 554, 3), sound("snd-tech-glitch", 622, 831, 6)],
  },
  {
    tag: "fitness",
    also: "workout",
    subtags: ["gym", "yoga", "running"],
    palette: ["0xdc2626", "0xfca5a5", "0x0a0a0a"],
    gradient: "circular",
    shape: { w: 0.16, h: 0.3, color: "0xfef2f2", motion: "pulse" },
    phrases: ["ten minutes no equipment", "stretch before bed", "my first half marathon"],
    creators: [creator("rep-rachel"), creator("yoga-yui"), creator("fuerza-felix", "es")],
    sounds: [sound("snd-fitness-pump", 165, 220, 5), sound("snd-fitness-run", 247, 330, 4)],
  },
  {
    tag: "music",
    also: "guitar",
    subtags: ["cover", "piano", "live"],
    palette: ["0x4338ca", "0xfbbf24", "0x1e1b4b"],
    gradient: "spiral",
    shape: { w: 0.14, h: 0.14, color: "0xfbbf24", motion: "orbit" },
    phrases: ["an old song on a new guitar", "piano at 3 am", "the riff everyone asks for"],
    creators: [creator("fret-freddie"), creator("keys-kira"), creator("canta-clara", "pt-BR")],
    sounds: [sound("snd-music-riff", 196, 294, 2), sound("snd-music-keys", 523, 659, 3)],
  },
  {
    tag: "gaming",
    also: "speedrun",
    subtags: ["retro", "boss", "clutch"],
    palette: ["0x9333ea", "0xa3e635", "0x1a1a2e"],
    gradient: "linear",
    shape: { w: 0.12, h: 0.12, color: "0xa3e635", motion: "zigzag" },
    phrases: ["the boss nobody beats", "a world record attempt", "one hp clutch"],
    creators: [creator("pixel-pete"), creator("combo-queen"), creator("retro-raf", "de")],
    sounds: [sound("snd-gaming-chip", 659, 784, 8), sound("snd-gaming-bass", 110, 147, 4)],
  },
  {
    tag: "art",
    also: "painting",
    subtags: ["watercolor", "sketch", "mural"],
    palette: ["0xf9a8d4", "0x93c5fd", "0xfde68a"],
    gradient: "radial",
    shape: { w: 0.2, h: 0.2, color: "0x831843", motion: "eight" },
    phrases: ["watercolor in five minutes", "a mural from start to end", "sketching strangers"],
    creators: [creator("brush-bea"), creator("ink-ivan"), creator("muralista", "es")],
    sounds: [sound("snd-art-calm", 262, 392, 1), sound("snd-art-chimes", 784, 1047, 2)],
  },
];

/** The topics by their naming hashtag, as a viewer's taste and the crowd's summary see them. */
export const DEMO_TOPIC_TAGS: readonly string[] = DEMO_TOPICS.map((topic) => topic.tag);

/** Creators who post in every topic, so a creator is not always a stand-in for a topic. */
const VARIETY_CREATORS: readonly DemoCreator[] = [creator("daily-mix"), creator("random-rae")];
/** Sounds that trend across topics, as viral sounds do. */
const TRENDING_SOUNDS: readonly DemoSound[] = [
  sound("snd-trend-hook", 370, 494, 4),
  sound("snd-trend-clap", 277, 415, 6),
  sound("snd-trend-lofi", 175, 233, 1),
];

export interface DemoClipSpec {
  width: number;
  height: number;
  seconds: number;
  fps: number;
  background: { colors: readonly string[]; type: GradientType; speed: number; seed: number };
  shape: { w: number; h: number; color: string; motion: Motion; speed: number; phase: number };
  sound: DemoSound;
  /** Burnt in: the topic's hashtag, the creator, the caption, the sound and the clip's number. */
  texts: { topic: string; creator: string; caption: string; sound: string; label: string };
}

export interface DemoVideo {
  n: number;
  topic: string;
  creator: string;
  metadata: { caption: string; hashtags: string; audio_id: string; language: string };
  clip: DemoClipSpec;
}

export interface DemoCatalogOptions {
  /**
   * Clip lengths in whole seconds, inclusive; shorter clips render and transcode faster. The
   * upload path rejects videos under 3 s (media.probe.ts).
   */
  seconds?: readonly [number, number];
  /**
   * The short side in pixels (portrait clips are 9:16, one in six is square at 4/3 of it). 360
   * gets a 240p and a 360p rendition; under 360 only 240p, which halves the transcode.
   */
  shortSide?: number;
}

const DEFAULT_SECONDS: readonly [number, number] = [3, 5];
const DEFAULT_SHORT_SIDE = 360;
const even = (n: number) => 2 * Math.round(n / 2);

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

/**
 * The n-th demo video. Topics take turns, so any prefix of the catalog covers every topic; within
 * a topic the niche creators take turns and every fifth video is a variety creator's; about one
 * video in five uses a trending sound.
 */
export function demoVideo(n: number, options: DemoCatalogOptions = {}): DemoVideo {
  const [minSeconds, maxSeconds] = options.seconds ?? DEFAULT_SECONDS;
  const short = options.shortSide ?? DEFAULT_SHORT_SIDE;
  const topic = pick(DEMO_TOPICS, n);
  const round = Math.floor(n / DEMO_TOPICS.length);
  const h = hash32(`demo:${n}`);
  // Rounds 4, 9, 14, … go to the variety creators; the niche creators share the rest in turn.
  const niche = round - Math.floor((round + 1) / 5);
  const author = round % 5 === 4 ? pick(VARIETY_CREATORS, round) : pick(topic.creators, niche);
  const track = h % 5 === 0 ? pick(TRENDING_SOUNDS, h >>> 3) : pick(topic.sounds, h >>> 5);
  const subtag = pick(topic.subtags, round);
  const phrase = pick(topic.phrases, round + (h >>> 7));
  const label = `demo ${String(n + 1).padStart(3, "0")}`;
  const caption = `${phrase} #${topic.tag} #${topic.also} #${subtag}`;
  const square = h % 6 === 1;
  const colors = [0, 1, 2].map((k) => pick(topic.palette, k + round));
  return {
    n,
    topic: topic.tag,
    creator: author.id,
    metadata: {
      caption,
      hashtags: [topic.tag, topic.also, subtag].join(","),
      audio_id: track.id,
      language: author.language,
    },
    clip: {
      width: square ? even((short * 4) / 3) : short,
      height: square ? even((short * 4) / 3) : even((short * 16) / 9),
      seconds: minSeconds + (h % (maxSeconds - minSeconds + 1)),
      fps: 24,
      background: { colors, type: topic.gradient, speed: 0.02 + (h % 4) * 0.01, seed: n },
      shape: {
        ...topic.shape,
        speed: 0.6 + ((h >>> 9) % 5) * 0.15,
        phase: ((h >>> 12) % 100) / 100,
      },
      sound: track,
      texts: { topic: `#${topic.tag}`, creator: `@${author.id}`, caption, sound: track.id, label },
    },
  };
}

/** The demo catalog's first `count` videos. */
export function demoCatalog(count: number, options: DemoCatalogOptions = {}): DemoVideo[] {
  return Array.from({ length: count }, (_, n) => demoVideo(n, options));
}
