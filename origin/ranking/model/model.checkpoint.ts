import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { HnswIndex, IndexError } from "../../../wasm/index";
import type { RankerModels } from "../serving/two-stage.ranker";
import { CheckpointError, deserializeRanker, serializeRanker } from "./model.codec";

/** `E F R V`: the serving checkpoint, the ranker checkpoint plus the vocabulary it indexes. */
const MAGIC = 0x56524645;
/** 1: vocabulary and ranker; 2: also the base index, so a load need not rebuild it. */
const VERSION = 2;
const OLDEST_READABLE = 1;

export interface Checkpoint {
  /** Video ids in item order. */
  videoIds: readonly string[];
  models: RankerModels;
  /** The HNSW base over `[output, bias]`; without it a loader builds one from the model. */
  baseIndex?: HnswIndex;
}

/**
 * Layout (version 2), little-endian: magic u32, version u16, reserved u16, video count u32, per
 * video [length u16, UTF-8 id], ranker length u32, ranker bytes (model.codec.ts), base index
 * length u32 (0: none), the base index's own snapshot (wasm/README.md: magic, version, CRC-32).
 * Version 1 ends after the ranker bytes.
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const encoder = new TextEncoder();
  const ids = checkpoint.videoIds.map((id) => encoder.encode(id));
  const ranker = serializeRanker(checkpoint.models);
  const index = checkpoint.baseIndex?.serialize() ?? new Uint8Array(0);
  const size =
    12 + ids.reduce((sum, id) => sum + 2 + id.length, 0) + 4 + ranker.length + 4 + index.length;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, VERSION, true);
  view.setUint32(8, ids.length, true);
  let at = 12;
  for (const id of ids) {
    view.setUint16(at, id.length, true);
    bytes.set(id, at + 2);
    at += 2 + id.length;
  }
  for (const section of [ranker, index]) {
    view.setUint32(at, section.length, true);
    bytes.set(section, at + 4);
    at += 4 + section.length;
  }
  return bytes;
}

/** Reads versions 1 and 2; the base index, when present, is loaded into `module` and checked. */
export function decodeCheckpoint(bytes: Uint8Array, module: WebAssembly.Module): Checkpoint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, length: number) => {
    if (at + length > bytes.byteLength) throw new CheckpointError("truncated serving checkpoint");
  };
  need(0, 12);
  if (view.getUint32(0, true) !== MAGIC) throw new CheckpointError("not a serving checkpoint");
  const version = view.getUint16(4, true);
  if (version < OLDEST_READABLE || version > VERSION) {
    throw new CheckpointError(
      `serving checkpoint version ${version}, expected ${OLDEST_READABLE} to ${VERSION}`,
    );
  }
  const count = view.getUint32(8, true);
  const decoder = new TextDecoder();
  const videoIds: string[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    need(at, 2);
    const length = view.getUint16(at, true);
    need(at + 2, length);
    videoIds.push(decoder.decode(bytes.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  const section = () => {
    need(at, 4);
    const length = view.getUint32(at, true);
    need(at + 4, length);
    at += 4 + length;
    return bytes.subarray(at - length, at);
  };
  const models = deserializeRanker(section());
  const index = version >= 2 ? section() : new Uint8Array(0);
  if (at !== bytes.byteLength) throw new CheckpointError("trailing bytes");
  if (index.length === 0) return { videoIds, models };
  return { videoIds, models, baseIndex: loadBaseIndex(module, index, models, videoIds.length) };
}

/** The snapshot's own checks (CRC, graph) and that it indexes this model's vectors and items. */
function loadBaseIndex(
  module: WebAssembly.Module,
  snapshot: Uint8Array,
  models: RankerModels,
  vocabulary: number,
): HnswIndex {
  let index: HnswIndex;
  try {
    index = HnswIndex.deserialize(module, snapshot);
  } catch (error) {
    if (!(error instanceof IndexError)) throw error;
    throw new CheckpointError(`base index snapshot: ${error.message}`, { cause: error });
  }
  const dim = models.sequence.options.dim + 1;
  if (index.metric !== "ip" || index.dim !== dim) {
    throw new CheckpointError(
      `base index snapshot is ${index.metric} over ${index.dim} dimensions; the model needs ip over ${dim}`,
    );
  }
  for (const label of index.labels()) {
    if (label >= vocabulary) {
      throw new CheckpointError(
        `base index snapshot holds item ${label}, beyond the ${vocabulary} videos of the vocabulary`,
      );
    }
  }
  return index;
}

export interface CheckpointStoreOptions {
  s3: S3Client;
  bucket: string;
  /** e.g. `models/ranker/`; versions live at `{prefix}v{n}.bin`. */
  prefix: string;
}

/** Versioned checkpoints in the object store: never overwritten, the highest version wins. */
export class CheckpointStore {
  constructor(private readonly options: CheckpointStoreOptions) {}

  key(version: number): string {
    return `${this.options.prefix}v${version}.bin`;
  }

  /** The highest stored version, 0 when there is none. */
  async latest(): Promise<number> {
    const { s3, bucket, prefix } = this.options;
    let latest = 0;
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: `${prefix}v`,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        const match = /v(\d+)\.bin$/.exec(object.Key ?? "");
        if (match) latest = Math.max(latest, Number(match[1]));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return latest;
  }

  /** Writes the next version after the highest stored one; returns it. */
  async save(checkpoint: Checkpoint): Promise<number> {
    const version = (await this.latest()) + 1;
    await this.options.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.key(version),
        Body: encodeCheckpoint(checkpoint),
        ContentType: "application/octet-stream",
      }),
    );
    return version;
  }

  /** Loads and checks one version; the base index is instantiated from `module`. */
  async load(version: number, module: WebAssembly.Module): Promise<Checkpoint> {
    const object = await this.options.s3.send(
      new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(version) }),
    );
    if (!object.Body) throw new CheckpointError(`checkpoint v${version} has no body`);
    return decodeCheckpoint(await object.Body.transformToByteArray(), module);
  }
}
