import { HnswIndex, TwoTierIndex } from "../../../wasm/index";
import type { Candidate } from "../candidate.types";
import { type RetrainResult, retrainJob } from "../leader/retrain.job";
import { retrainInWorker } from "../leader/retrain.thread";
import { CoVisitationIndex } from "../retrieval/co-visitation.index";
import { freshRankerModels, type RankerModels, TwoStageRanker } from "../serving/two-stage.ranker";
import { blendContent, buildBaseIndex, emptyDeltaIndex } from "./item.vectors";
import type { Checkpoint } from "./model.checkpoint";
import {
  DEFAULT_SEQUENCE_OPTIONS,
  SequenceModel,
  type SequenceModelOptions,
} from "./sequence.model";
import type { VideoCatalog, VideoMeta } from "./video.catalog";

/** Where the serving base index came from: a checkpoint's snapshot, or built in this process. */
export type IndexSource = "snapshot" | "built";

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
  indexSource: IndexSource;
  private base: HnswIndex;
  private index: TwoTierIndex;
  private retraining: Promise<boolean> | undefined;
  /** Videos that went live while a retrain ran: its weights and base index do not know them. */
  private liveDuringRetrain: Set<number> | undefined;

  /** With `baseIndex` (a checkpoint's snapshot) the base is loaded, otherwise built from the vectors. */
  constructor(
    private readonly module: WebAssembly.Module,
    readonly catalog: VideoCatalog,
    readonly models: RankerModels,
    public version: number,
    baseIndex?: HnswIndex,
  ) {
    this.ranker = new TwoStageRanker(models);
    this.indexSource = baseIndex ? "snapshot" : "built";
    this.base = baseIndex ?? buildBaseIndex(module, this.sequence, this.liveItems());
    this.index = this.tiersOver(this.base);
  }

  static fresh(
    module: WebAssembly.Module,
    catalog: VideoCatalog,
    options: SequenceModelOptions = DEFAULT_SEQUENCE_OPTIONS,
  ): ModelState {
    const sequence = new SequenceModel(Math.max(64, catalog.size), options);
    for (const meta of catalog.live()) blendContent(sequence, meta.item, meta.content, 0);
    return new ModelState(module, catalog, freshRankerModels(sequence, new CoVisitationIndex()), 0);
  }

  get sequence(): SequenceModel {
    return this.models.sequence;
  }

  /** Videos in the base and delta index together. */
  get indexSize(): number {
    return this.index.size;
  }

  /** What `CheckpointStore.save` writes: the base index goes along so a load need not rebuild it. */
  checkpoint(): Checkpoint {
    return { videoIds: this.catalog.ids, models: this.models, baseIndex: this.base };
  }

  /** A newly live video: into the vocabulary, the model (content vector) and the delta index. */
  addVideo(meta: VideoMeta): void {
    const isNew = this.catalog.get(meta.item) === undefined;
    this.catalog.set(meta);
    this.ensureCapacity(this.catalog.size);
    if (!isNew || this.index.has(meta.item)) return;
    blendContent(this.sequence, meta.item, meta.content, this.models.coVisitation.count(meta.item));
    this.index.add(meta.item, this.sequence.indexVector(meta.item));
    this.liveDuringRetrain?.add(meta.item);
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
   * videos with little history back toward their content vectors and rebuilds the base index,
   * all in a worker thread; this model keeps serving meanwhile and takes the result in one
   * synchronous swap. One retrain at a time: a call while one runs gets that one's promise.
   * Resolves whether the new model was swapped in; a failed retrain is logged and changes nothing.
   */
  retrain(sessions: readonly ArrayLike<number>[], epochs: number): Promise<boolean> {
    this.retraining ??= this.runRetrain(sessions, epochs).finally(() => {
      this.retraining = undefined;
    });
    return this.retraining;
  }

  private async runRetrain(
    sessions: readonly ArrayLike<number>[],
    epochs: number,
  ): Promise<boolean> {
    const started = performance.now();
    const job = retrainJob(
      this.sequence,
      this.catalog.live(),
      this.models.coVisitation,
      sessions,
      epochs,
    );
    const trainedOn = job.sessionStarts.length - 1;
    this.liveDuringRetrain = new Set();
    try {
      this.adopt(await retrainInWorker(this.module, job));
      console.log(
        `ranker: retrained on ${trainedOn} sessions in ${((performance.now() - started) / 1000).toFixed(1)} s; base index of ${this.base.size} videos`,
      );
      return true;
    } catch (error) {
      console.error("ranker: retrain failed; the current model keeps serving", error);
      return false;
    } finally {
      this.liveDuringRetrain = undefined;
    }
  }

  /**
   * Swaps in a retrain's weights and base index. Videos that went live meanwhile keep the
   * content vectors they were given here and join the new delta; capacity grown meanwhile is kept.
   */
  private adopt(result: RetrainResult): void {
    const current = this.sequence;
    const { dim } = current.options;
    const weights = {
      input: grown(result.input, current.input.length),
      output: grown(result.output, current.output.length),
      bias: grown(result.bias, current.bias.length),
    };
    for (const item of this.liveDuringRetrain ?? []) {
      const row = item * dim;
      weights.input.set(current.input.subarray(row, row + dim), row);
      weights.output.set(current.output.subarray(row, row + dim), row);
      weights.bias[item] = current.bias[item] as number;
    }
    const base = HnswIndex.deserialize(this.module, result.baseIndex);
    this.models.sequence = new SequenceModel(current.itemCount, current.options, weights);
    this.base = base;
    this.index = this.tiersOver(base);
    this.indexSource = "built";
  }

  private ensureCapacity(size: number): void {
    const current = this.sequence;
    if (size <= current.itemCount) return;
    const capacity = Math.max(size, current.itemCount * 2);
    const { dim } = current.options;
    this.models.sequence = new SequenceModel(capacity, current.options, {
      input: grown(current.input, capacity * dim),
      output: grown(current.output, capacity * dim),
      bias: grown(current.bias, capacity),
    });
  }

  private liveItems(): number[] {
    return Array.from(this.catalog.live(), (meta) => meta.item);
  }

  /**
   * Base plus a delta of the live videos the base lacks (live since it was built); videos in the
   * base that are no longer live are dropped from it.
   */
  private tiersOver(base: HnswIndex): TwoTierIndex {
    const live = new Set(this.liveItems());
    for (const label of base.labels()) if (!live.has(label)) base.remove(label);
    const tiers = new TwoTierIndex(this.module, base, emptyDeltaIndex(this.module, this.sequence));
    for (const item of live) {
      if (!base.has(item)) tiers.add(item, this.sequence.indexVector(item));
    }
    return tiers;
  }
}

/** `from`, or a zero-padded copy of it when the model's capacity grew past it. */
function grown(from: Float32Array, length: number): Float32Array {
  if (from.length === length) return from;
  const to = new Float32Array(length);
  to.set(from);
  return to;
}
