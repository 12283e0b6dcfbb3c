import { blendContent, buildBaseIndex } from "../model/item.vectors";
import { SequenceModel, type SequenceModelOptions } from "../model/sequence.model";
import { DEFAULT_TRAIN_OPTIONS, trainSequenceModel } from "../model/sequence.trainer";
import type { VideoMeta } from "../model/video.catalog";
import type { CoVisitationIndex } from "../retrieval/co-visitation.index";

/**
 * One retrain, as flat typed arrays so it crosses to a worker thread by transfer, not by copy:
 * the sequence model's weights (copies, so the serving model is untouched), the sessions and the
 * live videos with their content vectors and watch counts.
 */
export interface RetrainJob {
  options: SequenceModelOptions;
  itemCount: number;
  input: Float32Array;
  output: Float32Array;
  bias: Float32Array;
  epochs: number;
  /** Sessions end to end: session s is `sessionItems[sessionStarts[s] .. sessionStarts[s + 1])`. */
  sessionItems: Uint32Array;
  sessionStarts: Uint32Array;
  /** The videos live when the job was made; their content rows are `dim` floats each. */
  liveItems: Uint32Array;
  liveContent: Float32Array;
  liveWatches: Float64Array;
}

/** What a retrain worker thread is started with. */
export interface RetrainWorkerData {
  module: WebAssembly.Module;
  job: RetrainJob;
}

/** The retrained weights and the base index over the job's live videos, as a snapshot. */
export interface RetrainResult {
  input: Float32Array;
  output: Float32Array;
  bias: Float32Array;
  baseIndex: Uint8Array;
}

/** Copies what a retrain needs out of the serving model; sessions shorter than 2 teach nothing. */
export function retrainJob(
  sequence: SequenceModel,
  live: Iterable<VideoMeta>,
  coVisitation: CoVisitationIndex,
  sessions: readonly ArrayLike<number>[],
  epochs: number,
): RetrainJob {
  const usable = sessions.filter((s) => s.length >= 2);
  const sessionStarts = new Uint32Array(usable.length + 1);
  for (const [s, session] of usable.entries()) {
    sessionStarts[s + 1] = (sessionStarts[s] as number) + session.length;
  }
  const sessionItems = new Uint32Array(sessionStarts[usable.length] as number);
  for (const [s, session] of usable.entries()) sessionItems.set(session, sessionStarts[s]);
  const sessionCounts = new Map<number, number>();
  for (const item of sessionItems) sessionCounts.set(item, (sessionCounts.get(item) ?? 0) + 1);
  const videos = [...live];
  const { dim } = sequence.options;
  const liveContent = new Float32Array(videos.length * dim);
  for (const [i, meta] of videos.entries()) {
    liveContent.set(meta.content.subarray(0, dim), i * dim);
  }
  return {
    options: sequence.options,
    itemCount: sequence.itemCount,
    input: sequence.input.slice(),
    output: sequence.output.slice(),
    bias: sequence.bias.slice(),
    epochs,
    sessionItems,
    sessionStarts,
    liveItems: Uint32Array.from(videos, (meta) => meta.item),
    liveContent,
    // Watches seen live or in the sessions trained on (the archive's included), whichever is
    // more: both count the same engagements, so the larger is the better estimate, not the sum.
    liveWatches: Float64Array.from(videos, (meta) =>
      Math.max(coVisitation.count(meta.item), sessionCounts.get(meta.item) ?? 0),
    ),
  };
}

/**
 * The retrain itself, pure and synchronous so it runs in a worker thread: warm-started training
 * (few epochs), videos with little history pulled back toward their content vectors, then the
 * new base index. Trains in place on the job's arrays and returns them.
 */
export function runRetrainJob(module: WebAssembly.Module, job: RetrainJob): RetrainResult {
  const sequence = new SequenceModel(job.itemCount, job.options, {
    input: job.input,
    output: job.output,
    bias: job.bias,
  });
  const sessions: Uint32Array[] = [];
  for (let s = 0; s + 1 < job.sessionStarts.length; s++) {
    sessions.push(job.sessionItems.subarray(job.sessionStarts[s], job.sessionStarts[s + 1]));
  }
  if (sessions.length > 0) {
    trainSequenceModel(
      sessions,
      job.itemCount,
      { ...DEFAULT_TRAIN_OPTIONS, model: job.options, epochs: job.epochs },
      sequence,
    );
  }
  const { dim } = job.options;
  for (const [i, item] of job.liveItems.entries()) {
    blendContent(
      sequence,
      item,
      job.liveContent.subarray(i * dim, (i + 1) * dim),
      job.liveWatches[i] as number,
    );
  }
  const base = buildBaseIndex(module, sequence, job.liveItems);
  return { input: job.input, output: job.output, bias: job.bias, baseIndex: base.serialize() };
}

/** The buffers to move (not clone) with a job or a result. */
export function transferables(message: RetrainJob | RetrainResult): ArrayBuffer[] {
  const arrays: ArrayBufferView[] =
    "baseIndex" in message
      ? [message.input, message.output, message.bias, message.baseIndex]
      : [
          message.input,
          message.output,
          message.bias,
          message.sessionItems,
          message.sessionStarts,
          message.liveItems,
          message.liveContent,
          message.liveWatches,
        ];
  return arrays.map((array) => array.buffer as ArrayBuffer);
}
