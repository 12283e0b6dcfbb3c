import { HnswIndex, TwoTierIndex } from "../../wasm/index";
import type { Candidate } from "../ranking/candidate.types";
import { freshRankerModels, type RankerModels, TwoStageRanker } from "../ranking/two-stage.ranker";
import { CoVisitationIndex } from "../retrieval/co-visitation.index";
import {
  DEFAULT_SEQUENCE_OPTIONS,
  SequenceModel,
  type SequenceModelOptions,
} from "../retrieval/sequence.model";
import { DEFAULT_TRAIN_OPTIONS, trainSequenceModel } from "../retrieval/sequence.trainer";
import type { VideoCatalog, VideoMeta } from "./video.catalog";

/**
 * A video's content vector weighs k/(n+k) against what n watches taught: with no history it is
 * all content (fresh uploads are retrievable), after ~50 watches it barely matters.
 */
const CONTENT_PRIOR_WATCHES = 5;
/** HNSW build for the base: efConstruction 100 keeps a 100k rebuild to seconds (wasm/README.md). */
const INDEX_BUILD = { M: 16, efConstruction: 100 } as const;

/** Per-video counts the ranker sees on the event stream: exposure and rates for ranking. */
export interface VideoStats {
  impressions: number;
  views: number;
  engaged: number;
  completes: number;
}

/**
 * Everything one ranking needs in memory: vocabulary and metadata, the sequence model whose
 * vectors blend co-engagement with content, co-visitation, the two stages, and the HNSW base +
 * delta over `[output, bias]`. `version` is the checkpoint it came from (0: built fresh).
 */
export class ModelState {
  readonly ranker: TwoStageRanker;
  readonly stats = new Map<number, VideoStats>();
  private index: TwoTierIndex;

  constructor(
    private readonly module: WebAssembly.Module,
    readonly catalog: VideoCatalog,
    readonly models: RankerModels,
    public version: number,
  ) {
    this.ranker = new TwoStageRanker(models);
    this.index = this.buildIndex();
  }

  static fresh(
    module: WebAssembly.Module,
    catalog: VideoCatalog,
    options: SequenceModelOptions = DEFAULT_SEQUENCE_OPTIONS,
  ): ModelState {
    const sequence = new SequenceModel(Math.max(64, catalog.size), options);
    for (const meta of catalog.live()) blendContent(sequence, meta, 0);
    return new ModelState(module, catalog, freshRankerModels(sequence, new CoVisitationIndex()), 0);
  }

  get sequence(): SequenceModel {
    return this.models.sequence;
  }

  /** A newly live video: into the vocabulary, the model (content vector) and the delta index. */
  addVideo(meta: VideoMeta): void {
    const isNew = this.catalog.get(meta.item) === undefined;
    this.catalog.set(meta);
    this.ensureCapacity(this.catalog.size);
    if (!isNew || this.index.has(meta.item)) return;
    blendContent(this.sequence, meta, this.models.coVisitation.count(meta.item));
    this.index.add(meta.item, this.sequence.indexVector(meta.item));
  }

  /** Items nearest to the user vector by next-video logit, honouring `allowed` inside the search. */
  nearest(user: Float32Array, k: number, allowed: (item: number) => boolean): number[] {
    if (this.index.size === 0) return [];
    const query = new Float32Array(user.length + 1);
    query.set(user);
    query[user.length] = 1;
    return this.index
      .search(query, k, { ef: Math.max(128, k), accept: allowed })
      .map((hit) => hit.label);
  }

  stat(item: number): VideoStats {
    let stats = this.stats.get(item);
    if (!stats) {
      stats = { impressions: 0, views: 0, engaged: 0, completes: 0 };
      this.stats.set(item, stats);
    }
    return stats;
  }

  candidate(item: number, rails: Candidate["rails"], now: number): Candidate | undefined {
    const meta = this.catalog.get(item);
    if (!meta) return undefined;
    const stats = this.stats.get(item);
    const views = stats?.views ?? 0;
    return {
      item,
      videoId: meta.videoId,
      rails,
      creatorId: meta.creatorId,
      audioId: meta.audioId,
      hashtags: meta.hashtags,
      ageHours: Math.max(0, (now - meta.createdAt) / 3_600_000),
      exposures: stats?.impressions ?? 0,
      engagementRate: views > 0 ? (stats?.engaged ?? 0) / views : 0,
      completionRate: views > 0 ? (stats?.completes ?? 0) / views : 0,
    };
  }

  /**
   * Retrains the embeddings on the sessions seen since start (warm start, few epochs), pulls
   * videos with little history back toward their content vectors and rebuilds the index.
   */
  retrain(sessions: readonly ArrayLike<number>[], epochs: number): void {
    const sequence = this.sequence;
    const usable = sessions.filter((s) => s.length >= 2);
    if (usable.length > 0) {
      trainSequenceModel(
        usable,
        sequence.itemCount,
        { ...DEFAULT_TRAIN_OPTIONS, model: sequence.options, epochs },
        sequence,
      );
    }
    for (const meta of this.catalog.live()) {
      blendContent(sequence, meta, this.models.coVisitation.count(meta.item));
    }
    this.index = this.buildIndex();
  }

  private ensureCapacity(size: number): void {
    const current = this.sequence;
    if (size <= current.itemCount) return;
    const capacity = Math.max(size, current.itemCount * 2);
    const { dim } = current.options;
    const grow = (from: Float32Array, width: number) => {
      const to = new Float32Array(capacity * width);
      to.set(from);
      return to;
    };
    this.models.sequence = new SequenceModel(capacity, current.options, {
      input: grow(current.input, dim),
      output: grow(current.output, dim),
      bias: grow(current.bias, 1),
    });
  }

  private buildIndex(): TwoTierIndex {
    const width = this.sequence.options.dim + 1;
    const live = [...this.catalog.live()].map((meta) => meta.item);
    const options = { dim: width, metric: "ip" as const, ...INDEX_BUILD };
    const base = HnswIndex.create(this.module, {
      ...options,
      capacity: Math.max(1024, live.length),
    });
    if (live.length > 0) {
      const vectors = new Float32Array(live.length * width);
      const row = new Float32Array(width);
      for (const [i, item] of live.entries()) {
        vectors.set(this.sequence.indexVector(item, row), i * width);
      }
      base.addMany(Uint32Array.from(live), vectors);
    }
    return new TwoTierIndex(
      this.module,
      base,
      HnswIndex.create(this.module, { ...options, capacity: 1024 }),
    );
  }
}

/** input and output ← w·learned + (1 − w)·content, w = n/(n + k); n = 0 is pure content. */
function blendContent(sequence: SequenceModel, meta: VideoMeta, watches: number): void {
  const { dim } = sequence.options;
  const w = watches / (watches + CONTENT_PRIOR_WATCHES);
  const row = meta.item * dim;
  for (let d = 0; d < dim; d++) {
    const c = (meta.content[d] ?? 0) * (1 - w);
    sequence.input[row + d] = (sequence.input[row + d] as number) * w + c;
    sequence.output[row + d] = (sequence.output[row + d] as number) * w + c;
  }
}
