import { contentEmbedding } from "../../../../origin/catalog/content.embedding";
import { serializeRanker } from "../../../../origin/ranking/model/model.codec";
import type { VideoCatalog, VideoMeta } from "../../../../origin/ranking/model/video.catalog";
import type { RankerModels } from "../../../../origin/ranking/serving/two-stage.ranker";

/** Video `{creator}-{n}` with the content vector its metadata gives (one tag and sound per creator). */
export function videoMeta(catalog: VideoCatalog, creator: string, n: number): VideoMeta {
  const videoId = `${creator}-${n}`;
  const hashtags = [`tag${creator}`];
  return {
    videoId,
    item: catalog.itemOf(videoId),
    creatorId: creator,
    audioId: `sound${creator}`,
    hashtags,
    createdAt: Date.now(),
    content: contentEmbedding({
      hashtags,
      audio_id: `sound${creator}`,
      creator_id: creator,
      caption: `clip ${n} by ${creator}`,
      language: "en",
    }),
  };
}

/** `perCreator` live videos per creator, interleaved, in memory (no Redis). */
export function liveCatalog(
  catalog: VideoCatalog,
  creators: readonly string[],
  perCreator: number,
): VideoCatalog {
  for (let n = 0; n < perCreator; n++) {
    for (const creator of creators) catalog.set(videoMeta(catalog, creator, n));
  }
  return catalog;
}

/**
 * A serving checkpoint as version 1 wrote it (the layout before the base index was stored),
 * like those still in developers' `.dev-stack` object stores.
 */
export function encodeVersion1(videoIds: readonly string[], models: RankerModels): Uint8Array {
  const ids = videoIds.map((id) => new TextEncoder().encode(id));
  const ranker = serializeRanker(models);
  const bytes = new Uint8Array(
    12 + ids.reduce((sum, id) => sum + 2 + id.length, 0) + 4 + ranker.length,
  );
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x56524645, true);
  view.setUint16(4, 1, true);
  view.setUint32(8, ids.length, true);
  let at = 12;
  for (const id of ids) {
    view.setUint16(at, id.length, true);
    bytes.set(id, at + 2);
    at += 2 + id.length;
  }
  view.setUint32(at, ranker.length, true);
  bytes.set(ranker, at + 4);
  return bytes;
}
