import { CoVisitationIndex, type CoVisitationOptions } from "../retrieval/co-visitation.index";
import { HEADS, type Head, type RankerModels } from "../serving/two-stage.ranker";
import { FtrlLogistic, type FtrlOptions } from "./ftrl.model";
import { SequenceModel } from "./sequence.model";

/** `E F R K`: the ranker checkpoint. Little-endian, fixed-width fields, versioned. */
export const CHECKPOINT_MAGIC = 0x4b524645;
export const CHECKPOINT_VERSION = 1;

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

/**
 * Layout (version 1): magic u32, version u16, reserved u16, then sections in a fixed order:
 * sequence model (itemCount, dim, window u32; decay f64; input, output f32 × itemCount·dim;
 * bias f32 × itemCount), co-visitation (window u32; forward, backward, shrink f64; count u32;
 * per item [item u32, count f64, neighbours u32, [other u32, weight f64]…]), then stage 1 and the
 * five heads (size u32; alpha, beta, l1, l2 f64; z, n f64 × size).
 */
export function serializeRanker(models: RankerModels): Uint8Array {
  const out = new ByteWriter();
  out.u32(CHECKPOINT_MAGIC);
  out.u16(CHECKPOINT_VERSION);
  out.u16(0);
  const { sequence } = models;
  out.u32(sequence.itemCount);
  out.u32(sequence.options.dim);
  out.u32(sequence.options.window);
  out.f64(sequence.options.decay);
  out.f32s(sequence.input);
  out.f32s(sequence.output);
  out.f32s(sequence.bias);
  const co = models.coVisitation;
  out.u32(co.options.window);
  out.f64(co.options.forward);
  out.f64(co.options.backward);
  out.f64(co.options.shrink);
  const items = new Set([...co.counts.keys(), ...co.neighbours.keys()]);
  out.u32(items.size);
  for (const item of items) {
    out.u32(item);
    out.f64(co.count(item));
    const row = co.neighbours.get(item) ?? new Map<number, number>();
    out.u32(row.size);
    for (const [other, weight] of row) {
      out.u32(other);
      out.f64(weight);
    }
  }
  for (const model of [models.stage1, ...HEADS.map((h) => models.heads[h])]) writeFtrl(out, model);
  return out.bytes();
}

export function deserializeRanker(bytes: Uint8Array): RankerModels {
  const input = new ByteReader(bytes);
  if (input.u32() !== CHECKPOINT_MAGIC) throw new CheckpointError("not a ranker checkpoint");
  const version = input.u16();
  if (version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`checkpoint version ${version}, expected ${CHECKPOINT_VERSION}`);
  }
  input.u16();
  const itemCount = input.u32();
  const dim = input.u32();
  const window = input.u32();
  const decay = input.f64();
  const sequence = new SequenceModel(
    itemCount,
    { dim, window, decay },
    {
      input: input.f32s(itemCount * dim),
      output: input.f32s(itemCount * dim),
      bias: input.f32s(itemCount),
    },
  );
  const coOptions: CoVisitationOptions = {
    window: input.u32(),
    forward: input.f64(),
    backward: input.f64(),
    shrink: input.f64(),
  };
  const coVisitation = new CoVisitationIndex(coOptions);
  const rows = input.u32();
  for (let r = 0; r < rows; r++) {
    const item = input.u32();
    const count = input.f64();
    if (count > 0) coVisitation.counts.set(item, count);
    const size = input.u32();
    if (size === 0) continue;
    const row = new Map<number, number>();
    for (let k = 0; k < size; k++) row.set(input.u32(), input.f64());
    coVisitation.neighbours.set(item, row);
  }
  const stage1 = readFtrl(input);
  const heads = {} as Record<Head, FtrlLogistic>;
  for (const head of HEADS) heads[head] = readFtrl(input);
  if (!input.done()) throw new CheckpointError("trailing bytes after the checkpoint");
  return { sequence, coVisitation, stage1, heads };
}

function writeFtrl(out: ByteWriter, model: FtrlLogistic): void {
  out.u32(model.size);
  const { alpha, beta, l1, l2 } = model.options;
  for (const value of [alpha, beta, l1, l2]) out.f64(value);
  out.f64s(model.z);
  out.f64s(model.n);
}

function readFtrl(input: ByteReader): FtrlLogistic {
  const size = input.u32();
  const options: FtrlOptions = {
    alpha: input.f64(),
    beta: input.f64(),
    l1: input.f64(),
    l2: input.f64(),
  };
  return new FtrlLogistic(size, options, { z: input.f64s(size), n: input.f64s(size) });
}

/**
 * On little-endian hosts (every one the origin runs on) typed arrays already hold the file's byte
 * order, so weights are copied as bytes: a 100k-video model encodes in milliseconds, not seconds.
 */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

class ByteWriter {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  private offset = 0;

  u16(value: number) {
    this.reserve(2).setUint16(this.offset, value, true);
    this.offset += 2;
  }
  u32(value: number) {
    this.reserve(4).setUint32(this.offset, value, true);
    this.offset += 4;
  }
  f64(value: number) {
    this.reserve(8).setFloat64(this.offset, value, true);
    this.offset += 8;
  }
  f32s(values: Float32Array) {
    const view = this.reserve(values.length * 4);
    if (LITTLE_ENDIAN) return this.copy(values);
    for (const value of values) {
      view.setFloat32(this.offset, value, true);
      this.offset += 4;
    }
  }
  f64s(values: Float64Array) {
    const view = this.reserve(values.length * 8);
    if (LITTLE_ENDIAN) return this.copy(values);
    for (const value of values) {
      view.setFloat64(this.offset, value, true);
      this.offset += 8;
    }
  }
  bytes(): Uint8Array {
    return this.buffer.slice(0, this.offset);
  }
  private copy(values: Float32Array | Float64Array) {
    this.buffer.set(
      new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      this.offset,
    );
    this.offset += values.byteLength;
  }
  private reserve(bytes: number): DataView {
    if (this.offset + bytes > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.offset + bytes));
      grown.set(this.buffer.subarray(0, this.offset));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    return this.view;
  }
}

class ByteReader {
  private readonly view: DataView;
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u16(): number {
    const at = this.take(2);
    return this.view.getUint16(at, true);
  }
  u32(): number {
    const at = this.take(4);
    return this.view.getUint32(at, true);
  }
  f64(): number {
    const at = this.take(8);
    return this.view.getFloat64(at, true);
  }
  f32s(count: number): Float32Array {
    const at = this.take(count * 4);
    // slice copies into a fresh buffer, aligned for the typed array whatever the offset.
    if (LITTLE_ENDIAN) return new Float32Array(this.bytes.slice(at, at + count * 4).buffer);
    return Float32Array.from({ length: count }, (_, i) => this.view.getFloat32(at + i * 4, true));
  }
  f64s(count: number): Float64Array {
    const at = this.take(count * 8);
    if (LITTLE_ENDIAN) return new Float64Array(this.bytes.slice(at, at + count * 8).buffer);
    return Float64Array.from({ length: count }, (_, i) => this.view.getFloat64(at + i * 8, true));
  }
  done(): boolean {
    return this.offset === this.bytes.byteLength;
  }
  private take(bytes: number): number {
    if (this.offset + bytes > this.bytes.byteLength)
      throw new CheckpointError("truncated checkpoint");
    const at = this.offset;
    this.offset += bytes;
    return at;
  }
}
