import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { CheckpointError, deserializeRanker, serializeRanker } from "../ranking/model.codec";
import type { RankerModels } from "../ranking/two-stage.ranker";

/** `E F R V`: the serving checkpoint, the ranker checkpoint plus the vocabulary it indexes. */
const MAGIC = 0x56524645;
const VERSION = 1;

export interface Checkpoint {
  /** Video ids in item order. */
  videoIds: readonly string[];
  models: RankerModels;
}

/**
 * Layout (version 1), little-endian: magic u32, version u16, reserved u16, video count u32, per
 * video [length u16, UTF-8 id], ranker length u32, ranker bytes (model.codec.ts).
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const encoder = new TextEncoder();
  const ids = checkpoint.videoIds.map((id) => encoder.encode(id));
  const ranker = serializeRanker(checkpoint.models);
  const size = 12 + ids.reduce((sum, id) => sum + 2 + id.length, 0) + 4 + ranker.length;
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
  view.setUint32(at, ranker.length, true);
  bytes.set(ranker, at + 4);
  return bytes;
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, length: number) => {
    if (at + length > bytes.byteLength) throw new CheckpointError("truncated serving checkpoint");
  };
  need(0, 12);
  if (view.getUint32(0, true) !== MAGIC) throw new CheckpointError("not a serving checkpoint");
  const version = view.getUint16(4, true);
  if (version !== VERSION) {
    throw new CheckpointError(`serving checkpoint version ${version}, expected ${VERSION}`);
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
  need(at, 4);
  const length = view.getUint32(at, true);
  need(at + 4, length);
  if (at + 4 + length !== bytes.byteLength) throw new CheckpointError("trailing bytes");
  return { videoIds, models: deserializeRanker(bytes.subarray(at + 4, at + 4 + length)) };
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

  async load(version: number): Promise<Checkpoint> {
    const object = await this.options.s3.send(
      new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(version) }),
    );
    if (!object.Body) throw new CheckpointError(`checkpoint v${version} has no body`);
    return decodeCheckpoint(await object.Body.transformToByteArray());
  }
}
