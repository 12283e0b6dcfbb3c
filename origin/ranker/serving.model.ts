import type { Redis } from "ioredis";
import type { CheckpointStore } from "./model.checkpoint";
import { ModelState } from "./model.state";
import { readLiveVideos, readUploadEvents, VideoCatalog } from "./video.catalog";

export interface ServingModelOptions {
  redis: Redis;
  module: WebAssembly.Module;
  store: CheckpointStore;
  /** The catalog's `upload-events` stream. */
  uploadStream: string;
}

/**
 * The model a process serves from: the newest checkpoint in the object store (or, before the
 * first one, a model built from the catalog's content vectors), kept current by `sync`: videos
 * that went live since are added to the delta index, and a newer checkpoint is swapped in whole.
 */
export class ServingModel {
  current: ModelState | undefined;
  private uploadsAt = "0-0";

  constructor(private readonly options: ServingModelOptions) {}

  async load(): Promise<ModelState> {
    const { redis, module, store, uploadStream } = this.options;
    const version = await store.latest();
    const uploads = await readUploadEvents(redis, uploadStream, "0-0");
    let state: ModelState;
    if (version > 0) {
      const checkpoint = await store.load(version);
      const catalog = new VideoCatalog(checkpoint.videoIds);
      const known = await readLiveVideos(redis, catalog, checkpoint.videoIds);
      for (const meta of known) catalog.set(meta);
      state = new ModelState(module, catalog, checkpoint.models, version);
      const fresh = uploads.videoIds.filter((id) => catalog.lookup(id) === undefined);
      for (const meta of await readLiveVideos(redis, catalog, fresh)) state.addVideo(meta);
    } else {
      const catalog = new VideoCatalog();
      for (const meta of await readLiveVideos(redis, catalog, uploads.videoIds)) catalog.set(meta);
      state = ModelState.fresh(module, catalog);
    }
    this.uploadsAt = uploads.last;
    this.current = state;
    return state;
  }

  /**
   * Newer checkpoint → swap; otherwise index what went live since the last call. Returns whether
   * the served catalog may have changed.
   */
  async sync(): Promise<boolean> {
    const state = this.current;
    if (!state || (await this.options.store.latest()) > state.version) {
      await this.load();
      return true;
    }
    const { redis, uploadStream } = this.options;
    const uploads = await readUploadEvents(redis, uploadStream, this.uploadsAt);
    const live = await readLiveVideos(redis, state.catalog, uploads.videoIds);
    for (const meta of live) state.addVideo(meta);
    this.uploadsAt = uploads.last;
    return live.length > 0;
  }
}
