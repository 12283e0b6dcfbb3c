import type { Redis } from "ioredis";
import type { CheckpointStore } from "../model/model.checkpoint";
import { ModelState } from "../model/model.state";
import { readLiveVideos, readUploadEvents, VideoCatalog } from "../model/video.catalog";

export interface ServingModelOptions {
  redis: Redis;
  module: WebAssembly.Module;
  store: CheckpointStore;
  /** The catalog's `upload-events` stream. */
  uploadStream: string;
  /** After a newer checkpoint failed to load, wait this long before fetching it again. */
  retryMs?: number;
}

const DEFAULT_RETRY_MS = 60_000;

/**
 * The model a process serves from: the newest checkpoint in the object store (or, before the
 * first one, a model built from the catalog's content vectors), kept current by `sync`: videos
 * that went live since are added to the delta index, and a newer checkpoint is swapped in whole.
 */
export class ServingModel {
  current: ModelState | undefined;
  private uploadsAt = "0-0";
  private failed: { version: number; retryAt: number } | undefined;

  constructor(private readonly options: ServingModelOptions) {}

  async load(): Promise<ModelState> {
    return this.loadVersion(await this.options.store.latest());
  }

  /**
   * Newer checkpoint → swap; otherwise index what went live since the last call. Returns whether
   * the served catalog may have changed. A newer checkpoint that fails to load is logged and
   * retried after `retryMs` (at once if an even newer one appears); the current model keeps
   * serving and keeps taking new videos meanwhile.
   */
  async sync(now = Date.now()): Promise<boolean> {
    const state = this.current;
    if (!state) {
      await this.load();
      return true;
    }
    const latest = await this.options.store.latest();
    if (latest > state.version && this.mayTry(latest, now)) {
      try {
        await this.loadVersion(latest);
        this.failed = undefined;
        return true;
      } catch (error) {
        const retryMs = this.options.retryMs ?? DEFAULT_RETRY_MS;
        this.failed = { version: latest, retryAt: now + retryMs };
        console.error(
          `model: checkpoint v${latest} failed to load, still serving v${state.version}; next try in ${retryMs / 1000} s:`,
          error instanceof Error ? error.message : error,
        );
      }
    }
    const { redis, uploadStream } = this.options;
    const uploads = await readUploadEvents(redis, uploadStream, this.uploadsAt);
    const live = await readLiveVideos(redis, state.catalog, uploads.videoIds);
    for (const meta of live) state.addVideo(meta);
    this.uploadsAt = uploads.last;
    return live.length > 0;
  }

  private mayTry(version: number, now: number): boolean {
    return !this.failed || version > this.failed.version || now >= this.failed.retryAt;
  }

  /** Builds the state for `version` (0: content only) and serves it only once it is complete. */
  private async loadVersion(version: number): Promise<ModelState> {
    const { redis, module, store, uploadStream } = this.options;
    const started = performance.now();
    const uploads = await readUploadEvents(redis, uploadStream, "0-0");
    let state: ModelState;
    if (version > 0) {
      const checkpoint = await store.load(version, module);
      const catalog = new VideoCatalog(checkpoint.videoIds);
      const known = await readLiveVideos(redis, catalog, checkpoint.videoIds);
      for (const meta of known) catalog.set(meta);
      state = new ModelState(module, catalog, checkpoint.models, version, checkpoint.baseIndex);
      const fresh = uploads.videoIds.filter((id) => catalog.lookup(id) === undefined);
      for (const meta of await readLiveVideos(redis, catalog, fresh)) state.addVideo(meta);
    } else {
      const catalog = new VideoCatalog();
      for (const meta of await readLiveVideos(redis, catalog, uploads.videoIds)) catalog.set(meta);
      state = ModelState.fresh(module, catalog);
    }
    this.uploadsAt = uploads.last;
    this.current = state;
    console.log(
      `model: serving v${version}, ${state.indexSize} videos, base index ${state.indexSource === "snapshot" ? "loaded from the snapshot" : "built"}, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return state;
  }
}
