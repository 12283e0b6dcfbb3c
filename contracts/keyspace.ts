/**
 * The keyspace, spelled once: every Redis key, stream, consumer group, lease and channel that the
 * edge, the UserFeed object and the origin roles use, and where objects live in the bucket. Each
 * family says who writes it and who reads it; what a value holds is documented where it is encoded
 * (contracts/*.schema.ts, contracts/seen-filter.ts, origin/features/feature-windows.ts).
 *
 * Prefixes: the families built by a `(prefix)` function belong to the origin, whose tests give
 * each run its own prefix so runs share one Redis server (production passes ""). The families the
 * edge reads or writes are constants: the edge never prefixes, so a key it shares with the origin
 * is spelled the same by both. Changing any spelling here is a data migration, not a refactor
 * (contracts/keyspace.test.ts pins them).
 */

/**
 * The event bus (signal path). Written by the edge's `POST /v1/events` (append-events.lua appends
 * to the stream and claims the dedupe keys in one script); read by the origin's consumer groups
 * (ConsumerGroups.features, ConsumerGroups.ranker) and, by id range, the archive role.
 */
export const EventKeys = {
  /** Stream `ev:{p}`, p = hash(user) mod EVENT_PARTITIONS, so one user's events stay in order. */
  stream: (partition: number) => `ev:${partition}`,
  /**
   * `evid:{user}:{event}`: SET NX by the edge, so a retried batch appends each event once, from
   * whichever of the user's sessions it is replayed (clients prefix their ids per page load).
   */
  dedupe: (userId: string, eventId: string) => `evid:${userId}:${eventId}`,
  /**
   * Set `liked:{user}`: the videos the user likes now, and `following:{user}`: the creators they
   * follow. The append script's count-once check: a like of a liked video appends nothing.
   */
  likes: (userId: string) => `liked:${userId}`,
  follows: (userId: string) => `following:${userId}`,
  /**
   * `evbudget:{user}:{video}`: how many events of the user's for the video were appended in the
   * current window. Past the budget they are refused, so one account moves a video's counters by
   * a bounded amount however many events it sends.
   */
  videoBudget: (userId: string, videoId: string) => `evbudget:${userId}:${videoId}`,
  /** @upstash/ratelimit's prefix for event batches per session; the edge alone reads and writes. */
  rateLimitPrefix: "rl:events",
  /** The same per user, over all their sessions: minting sessions buys no extra budget. */
  userRateLimitPrefix: "rl:events:user",
} as const;

/**
 * Identity, written and read by the edge alone. A sign-in is a refresh-token family: rotating
 * replaces its current token hash, reusing a rotated token or signing out deletes the family.
 */
export const AuthKeys = {
  /** Hash `auth:family:{id}`: user, region, account flag and the current refresh token's hash. */
  family: (familyId: string) => `auth:family:${familyId}`,
  /** `auth:challenge:{id}`: a WebAuthn challenge and what it is for, for five minutes. */
  challenge: (challengeId: string) => `auth:challenge:${challengeId}`,
  /** Hash `auth:passkey:{credential id}`: the user, public key and signature counter. */
  passkey: (credentialId: string) => `auth:passkey:${credentialId}`,
  /** Set `auth:account:{user}`: the user's credential ids; a user with one is a named account. */
  account: (userId: string) => `auth:account:${userId}`,
  /** @upstash/ratelimit's prefix for new sessions per client address. */
  mintRateLimitPrefix: "rl:sessions",
  /** `auth:admin:{digest}`: one signed-in dashboard, by its cookie's SHA-256, for 12 hours. */
  adminSession: (digest: string) => `auth:admin:${digest}`,
  /** @upstash/ratelimit's prefix for admin sign-in attempts per client address. */
  adminRateLimitPrefix: "rl:admin",
} as const;

/**
 * The catalog and the candidate lists the serve path reads. Written by the origin (the catalog
 * store on upload and go-live; the features role's trending refresh; the ranker role and
 * `POST /v1/rank` for `fyp:`; the ranker leader for `explore:`); read by the edge (UserFeed pops
 * `fyp:`, the fallback reads trending and explore, video cards read `video:`) and the ranker.
 */
export const CatalogKeys = {
  /** Hash `video:{id}`: the catalog entry (VideoRecordSchema) plus the pipeline's working fields. */
  video: (id: string) => `video:${id}`,
  /** List `creator:{id}:videos`, newest first; the origin alone reads it. */
  creatorVideos: (creatorId: string) => `creator:${creatorId}:videos`,
  /**
   * `upload:sha256:{creator}:{hex}` → video id: a creator's byte-identical originals map to one
   * video (origin only). Per creator: another creator's identical bytes never get this video.
   */
  digest: (creatorId: string, sha256: string) => `upload:sha256:${creatorId}:${sha256}`,
  /** Sorted set `trending:{region}`: engagement velocity, the fallback's main source. */
  trending: (region: string) => `trending:${region}`,
  /**
   * Sorted set `trending-global`: every region's trending summed, the fallback of a region with
   * none of its own. Not `trending:global`, which would be the trending of a region named global.
   */
  trendingGlobal: () => "trending-global",
  /**
   * Sorted set `live:newest`: video → when it went live (ms), the newest NEWEST_LIVE_KEPT; the
   * fallback's last resort, so a feed is never blank while one video is live. Written by the
   * catalog store in the go-live MULTI.
   */
  newestLive: () => "live:newest",
  /** Sorted set `uploads:open`: video → when its upload was created (ms), while `uploading`. */
  openUploads: () => "uploads:open",
  /**
   * Sorted set `originals:expiring`: video → when its original may be deleted (ms), for rejected
   * and failed videos; the upload janitor deletes them then.
   */
  expiringOriginals: () => "originals:expiring",
  /** Sorted set `fyp:{user}`: pre-ranked candidates, members per encodeForYouMember. */
  forYou: (userId: string) => `fyp:${userId}`,
  /** Sorted set `explore:{region}`: under-exposed fresh videos for exploration slots. */
  explore: (region: string) => `explore:${region}`,
} as const;

/** How many of the newest live videos `live:newest` keeps: a page and its refills, with room. */
export const NEWEST_LIVE_KEPT = 500;

/**
 * What the UserFeed object mirrors for the origin (contracts/seen-filter.ts has the encoding).
 * Written by the object, in the MULTI that commits a page's impressions; read by the origin's
 * rails (origin/ranking/serving/user.context.ts), so they drop exactly what the edge would.
 */
export const SeenKeys = {
  /** Hash `seen:{user}`: `{slot}:started` and `{slot}:count` of each generation. */
  seen: (userId: string) => `seen:${userId}`,
  /** Bit string `seen:{user}:{slot}`, 0 the newest generation, 1 the older. */
  seenBits: (userId: string, slot: 0 | 1) => `seen:${userId}:${slot}`,
  /** Hash `suppressed:{user}`: `{kind}:{value}` → until (ms). */
  suppressed: (userId: string) => `suppressed:${userId}`,
} as const;

/**
 * What the edge writes for people rather than for the feed. Written by the edge (the UserFeed
 * object appends impressions; every isolate flushes its operator counters) and the origin's
 * sampler role (the gauges, contracts/gauges.ts); read by the dashboard (`metrics:`) and offline
 * A/B readouts (`impressions`).
 */
export const EdgeKeys = {
  /** Stream `impressions`: one entry per video handed to a user, with the arm that ranked it. */
  impressions: "impressions",
  /**
   * Hash `metrics:{yyyy-mm-ddThh:mm}`: the operator counters and gauges of the UTC minute holding
   * `at`; every writer renews its expiry to METRICS_MINUTE_TTL_SECONDS.
   */
  metricsMinute: (at: number) => `metrics:${new Date(at).toISOString().slice(0, 16)}`,
} as const;

/** The dashboard reads the last day; a week of minutes leaves room for incident reviews. */
export const METRICS_MINUTE_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The gauge sampler (origin/sampler/): `gauge-sampler:lease`, `SET NX PX` just under one sampling
 * interval by whichever sampler process samples next, so several processes write one reading per
 * interval. Written and read by the sampler role alone.
 */
export function gaugeSamplerKeys(prefix: string) {
  return {
    lease: () => `${prefix}gauge-sampler:lease`,
  };
}

/**
 * The online feature store. Written by the features role (the commit script, with the stream
 * position and the milestone messages, in one step); read by the ranker role, `POST /v1/rank`, the
 * archiver (the streams), the sampler role (positions) and the edge's dashboard (the trending
 * regions, unprefixed).
 */
export function featureKeys(prefix: string) {
  return {
    stream: (partition: number) => prefix + EventKeys.stream(partition),
    /** Stream `notify`: one message per crossed view milestone, for creator notifications. */
    notify: () => `${prefix}notify`,
    video: (videoId: string) => prefix + CatalogKeys.video(videoId),
    trending: (region: string) => prefix + CatalogKeys.trending(region),
    trendingGlobal: () => prefix + CatalogKeys.trendingGlobal(),
    /** Lease `features:lease:{p}`: the one processor reading partition p (PartitionLeases). */
    lease: (partition: number) => `${prefix}features:lease:${partition}`,
    /** Hash partition → last committed stream id, moved in the same script as the aggregates. */
    positions: () => `${prefix}features:positions`,
    /** Sorted set processor token → last heartbeat: who shares the partitions. */
    members: () => `${prefix}features:members`,
    /** Hash `vf:{video}`: counters and window buckets (origin/features/feature-windows.ts). */
    videoFeatures: (videoId: string) => `${prefix}vf:${videoId}`,
    /** Sorted set `ui:{user}`: decayed interest per creator, sound and hashtag. */
    interest: (userId: string) => `${prefix}ui:${userId}`,
    /**
     * Sorted set `recent:{user}`: the short-term sequence, video → last engagement (ms), capped
     * by RECENT_WINDOW_MS and RECENT_MAX_VIDEOS; the ranker turns it into the short-term embedding.
     */
    recent: (userId: string) => `${prefix}recent:${userId}`,
    /** Sorted set `follows:{user}`: creator → when followed (ms), the social rail's source. */
    follows: (userId: string) => `${prefix}follows:${userId}`,
    /** Sorted set `tr:{region}:{bucket start}`: one minute of engagement points per video. */
    trendingBucket: (region: string, start: number) => `${prefix}tr:${region}:${start}`,
    /**
     * `tcap:{user}:{video}`: the trending points the user gave the video in the current window
     * (origin/features/batch-ops.ts, TRENDING_USER_CAP); expires with the window.
     */
    trendingCap: (userId: string, videoId: string) => `${prefix}tcap:${userId}:${videoId}`,
    /** Set of every region with trending buckets: where `trending:{region}` is recomputed. */
    trendingRegions: () => `${prefix}trending:regions`,
    /** Lock `trending:lock`: one trending recomputation at a time across processors. */
    trendingLock: () => `${prefix}trending:lock`,
    /**
     * Flag `spam:user:{user}`: a bot, over all its sessions. Its events stop counting in trending,
     * sequences and training until it expires; the archive keeps them, marked.
     */
    spamUser: (userId: string) => `${prefix}spam:user:${userId}`,
  };
}

export type FeatureKeys = ReturnType<typeof featureKeys>;

/**
 * The ranker's own state beyond the feature store's. Written and read by the ranker role's
 * replicas and the api role (`POST /v1/rank`, `POST /internal/feed/refresh`). The catalog
 * (`video:{id}`) and `fyp:{user}` are never prefixed: their other writer and the edge know none.
 */
export function rankerKeys(prefix: string) {
  return {
    features: featureKeys(prefix),
    /** Sorted set user → when their `fyp:{user}` is next due. */
    due: () => `${prefix}ranker:due`,
    /** Sorted set user → last activity (ms); users idle past the window stop being refreshed. */
    active: () => `${prefix}ranker:active`,
    /** Hash user → region, from events and refresh requests. */
    regions: () => `${prefix}ranker:regions`,
    /** Set of every region a user was seen in: where `explore:{region}` is written. */
    regionSet: () => `${prefix}ranker:region-set`,
    /** Sorted set video → last engagement (ms): the long-term history, the same on every replica. */
    longHistory: (userId: string) => `${prefix}ranker:history:${userId}`,
    /** Lease `ranker:leader`: the replica holding it retrains, checkpoints and writes explore. */
    leader: () => `${prefix}ranker:leader`,
    /** `ranker:coalesce:{user}`: one refresh request per user per window passes its SET NX. */
    coalesce: (userId: string) => `${prefix}ranker:coalesce:${userId}`,
    explore: (region: string) => prefix + CatalogKeys.explore(region),
  };
}

export type RankerKeys = ReturnType<typeof rankerKeys>;

/**
 * The archive role's own bookkeeping: written and read by it alone. It reads the event streams by
 * id range, not through a group, so a retried segment has the same content.
 */
export function archiveKeys(prefix: string) {
  return {
    /** Hash partition → last archived stream id; moves after the segment object exists. */
    positions: () => `${prefix}archive:positions`,
    /** Lock `archive:lock:{p}`: one archiver per partition at a time. */
    lock: (partition: number) => `${prefix}archive:lock:${partition}`,
  };
}

/**
 * The content path's streams. `uploads`: written by the api role when a tus upload completes,
 * read by the `transcoders` group. `uploads:dead`: written by the transcode role for jobs out of
 * attempts, read by the metrics, the sampler role and the edge's dashboard. `upload-events`: written by the catalog
 * store in the MULTI that makes a video live, read (by id, no group) by every serving model.
 */
export const UploadStreams = {
  jobs: "uploads",
  deadLetter: "uploads:dead",
  events: "upload-events",
} as const;

/**
 * Consumer groups, each created from the stream's start. `features` on every `ev:{p}` (one group
 * shared by the features processors, partitions split by lease); one group per ranker replica on
 * every `ev:{p}` (each replica must see every event; the default replica keeps the original name);
 * `transcoders` on `uploads`. The sampler role reads the features and transcoders groups' lag.
 */
export const ConsumerGroups = {
  features: "features",
  transcoders: "transcoders",
  ranker: (replica: string) => (replica === DEFAULT_REPLICA ? "ranker" : `ranker:${replica}`),
} as const;

/** The ranker replica name when RANKER_REPLICA is unset. */
export const DEFAULT_REPLICA = "0";

/**
 * Upload locks across api workers (origin/uploads/redis-locker.ts): written and read by the api
 * role alone. A lock is `SET upload-lock:{upload id} token NX PX ttl`; a process that wants an
 * upload another holds publishes its id on the channel.
 */
export const UploadLockKeys = {
  lock: (uploadId: string) => `upload-lock:${uploadId}`,
  releaseRequests: "upload-lock:release-requests",
} as const;

/**
 * Video renditions in the bucket. Written by the transcode role (immutable: a re-encode bumps the
 * version instead of overwriting); read by the edge (R2, then origin pull; cached forever).
 */
export const MediaKeys = {
  prefix: (id: string, version: number) => `videos/${id}/v${version}/`,
  master: (id: string, version: number) => `videos/${id}/v${version}/master.m3u8`,
  poster: (id: string, version: number) => `videos/${id}/v${version}/poster.jpg`,
  playlist: (id: string, version: number, rendition: string) =>
    `videos/${id}/v${version}/${rendition}/index.m3u8`,
} as const;

/**
 * Uploaded originals in the bucket: `originals/{video id}` is the tus upload id and its object key.
 * Written by the api role's tus server; read by the transcode role.
 */
export const OriginalKeys = {
  prefix: "originals/",
  original: (videoId: string) => `originals/${videoId}`,
} as const;

const LAKE_EVENTS = "lake/events/";
const lakeDay = (date: string) => `date=${date}/`;

/**
 * The event archive (the lake) in the bucket. Written by the archive role, one gzipped NDJSON
 * segment per partition and minute; read by the ranker leader to retrain, listing by day.
 */
export const LakeKeys = {
  events: LAKE_EVENTS,
  /** One UTC day's segments, below `events` (or a test's own root). */
  day: lakeDay,
  /**
   * `lake/events/date=YYYY-MM-DD/p={p}/{window start}_{first id}_{last id}.ndjson.gz`: a function
   * of the partition and the id range alone, so a retried segment is found, never written twice.
   * Dates are UTC, from the stream ids (edge append time).
   */
  segment: (partition: number, windowStart: number, firstId: string, lastId: string) =>
    `${LAKE_EVENTS}${lakeDay(new Date(windowStart).toISOString().slice(0, 10))}p=${partition}/${windowStart}_${firstId}_${lastId}.ndjson.gz`,
} as const;

/**
 * Ranker checkpoints in the bucket: `{prefix}v{n}.bin`. Written by the ranker leader; read by the
 * ranker replicas and every api worker's serving model.
 */
export const CheckpointKeys = {
  prefix: "models/ranker/",
} as const;
