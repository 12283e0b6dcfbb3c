/**
 * A deterministic content vector from a video's metadata, so a new video can be retrieved before
 * anyone has watched it. Feature hashing (the "hashing trick"): each feature string lands in one
 * of EMBEDDING_DIM buckets with a hash-derived sign, so collisions cancel on average instead of
 * piling up; the vector is L2-normalised for inner-product/cosine search.
 */
export const EMBEDDING_DIM = 64;

export interface ContentFeatures {
  hashtags: readonly string[];
  audio_id: string;
  creator_id: string;
  caption: string;
  language: string;
}

// Hashtags say most about the content; the caption's words are noisy, so each weighs little.
const WEIGHTS = { hashtag: 1, audio: 0.8, creator: 0.6, language: 0.4, caption: 0.5 } as const;

export function contentEmbedding(features: ContentFeatures, dim = EMBEDDING_DIM): Float32Array {
  const vector = new Float32Array(dim);
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature);
    const sign = fnv1a(`±${feature}`) & 1 ? 1 : -1;
    vector[h % dim] = (vector[h % dim] ?? 0) + sign * weight;
  };
  for (const tag of new Set(features.hashtags.map((t) => t.toLowerCase()))) {
    add(`tag:${tag}`, WEIGHTS.hashtag);
  }
  if (features.audio_id) add(`audio:${features.audio_id}`, WEIGHTS.audio);
  if (features.creator_id) add(`creator:${features.creator_id}`, WEIGHTS.creator);
  add(`lang:${features.language.toLowerCase()}`, WEIGHTS.language);
  const tokens = [...new Set(captionTokens(features.caption))];
  for (const token of tokens) add(`word:${token}`, WEIGHTS.caption / Math.sqrt(tokens.length));
  const norm = Math.hypot(...vector);
  if (norm > 0) for (let i = 0; i < dim; i++) vector[i] = (vector[i] ?? 0) / norm;
  return vector;
}

/** Lower-cased words of two or more letters/digits; `#tags` in the caption count as words. */
export function captionTokens(caption: string): string[] {
  return (caption.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? []).slice(0, 64);
}

/** Little-endian float32, base64: the form stored in the catalog hash's `embedding` field. */
export function encodeEmbedding(vector: Float32Array): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (const [i, x] of vector.entries()) view.setFloat32(i * 4, x, true);
  return Buffer.from(bytes).toString("base64");
}

export function decodeEmbedding(encoded: string): Float32Array {
  const bytes = Buffer.from(encoded, "base64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) =>
    view.getFloat32(i * 4, true),
  );
}

/** 32-bit FNV-1a over UTF-8: tiny, fast and identical in every runtime. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
