import type { Redis } from "@upstash/redis/cloudflare";
import type { BloomFilter } from "../../contracts/bloom-filter";
import { SeenKeys } from "../../contracts/keyspace";
import {
  type BitfieldSet,
  fullLengthSet,
  generationFields,
  idBitSets,
  RETENTION_MS,
  type SeenGeneration,
  wholeGenerationSets,
} from "../../contracts/seen-filter";

/** The transaction a flush queues its commands on (`redis.multi()`). */
export type RedisTransaction = ReturnType<Redis["multi"]>;

/** What Redis's seen mirror holds, and what the object has that it lacks. */
export interface SeenMirrorGap {
  userId: string;
  /** The object's generations, newest first; at least one. */
  generations: readonly [SeenGeneration, ...SeenGeneration[]];
  /** The start of the generation Redis holds in slot 0; null when it holds none this way. */
  held: number | null;
  /** Ids in a generation whose bits Redis does not have yet. */
  unmirrored: (generation: SeenGeneration) => readonly string[];
}

type Commands = (tx: RedisTransaction) => void;

interface MirrorKeys {
  meta: string;
  newest: string;
  older: string;
}

/**
 * The commands that close the gap, computed now: the filter keeps changing while the transaction
 * is in flight. They depend on the generation Redis holds in slot 0:
 * - the newest: the bits of its unmirrored ids (BITFIELD SET u1), ~750 bytes a page;
 * - the older one (it rotated since): its missing bits, RENAME to slot 1 and the new generation
 *   whole into slot 0, in the caller's transaction, so a reader never sees half of it;
 * - neither (the first write in this layout, or two rotations missed): every generation whole.
 * BITFIELD only sets bits the filter has, and only the object writes these keys, so commands that
 * run twice or land over newer ones never clear a bit.
 */
export function seenMirrorCommands(gap: SeenMirrorGap): Commands {
  const [newest, older] = gap.generations;
  const keys: MirrorKeys = {
    meta: SeenKeys.seen(gap.userId),
    newest: SeenKeys.seenBits(gap.userId, 0),
    older: SeenKeys.seenBits(gap.userId, 1),
  };
  let write: Commands;
  if (gap.held === newest.startedAt) {
    write = appended(keys, newest, gap.unmirrored(newest));
  } else if (older && gap.held === older.startedAt) {
    write = rotated(keys, newest, older, gap.unmirrored(older));
  } else {
    write = rewritten(keys, newest, older);
  }
  return (tx) => {
    write(tx);
    for (const key of [keys.meta, keys.newest, keys.older]) tx.pexpire(key, RETENTION_MS);
  };
}

function appended(keys: MirrorKeys, newest: SeenGeneration, ids: readonly string[]): Commands {
  const update = updateSets(newest, ids);
  const fields = { "0:count": newest.count };
  return (tx) => {
    if (update.replace) tx.del(keys.newest);
    bitfield(tx, keys.newest, update.sets);
    tx.hset(keys.meta, fields);
  };
}

function rotated(
  keys: MirrorKeys,
  newest: SeenGeneration,
  older: SeenGeneration,
  ids: readonly string[],
): Commands {
  const update = updateSets(older, ids);
  // RENAME of a missing key is an error, which would fail the flush every time: the full-length
  // SET creates the key (as zeros) if Redis lost it, and changes nothing if it is there.
  const sets = update.replace ? update.sets : [fullLengthSet(older.filter), ...update.sets];
  const fresh = wholeGenerationSets(newest.filter);
  const fields = { ...generationFields(0, newest), ...generationFields(1, older) };
  return (tx) => {
    if (update.replace) tx.del(keys.newest);
    bitfield(tx, keys.newest, sets);
    tx.rename(keys.newest, keys.older);
    bitfield(tx, keys.newest, fresh);
    tx.hset(keys.meta, fields);
  };
}

function rewritten(
  keys: MirrorKeys,
  newest: SeenGeneration,
  older: SeenGeneration | undefined,
): Commands {
  const slots = [{ key: keys.newest, sets: wholeGenerationSets(newest.filter) }];
  const fields = generationFields(0, newest);
  if (older) {
    slots.push({ key: keys.older, sets: wholeGenerationSets(older.filter) });
    Object.assign(fields, generationFields(1, older));
  }
  return (tx) => {
    // The hash too: fields of an earlier layout must not outlive this write.
    tx.del(keys.meta, keys.newest, keys.older);
    for (const slot of slots) bitfield(tx, slot.key, slot.sets);
    tx.hset(keys.meta, fields);
  };
}

/**
 * The SETs that bring a generation Redis holds up to date: the bits of its unmirrored ids, or,
 * when those would take more bytes than the whole generation (after a long outage), the whole
 * generation over a deleted key. Either way a catch-up stays under ~90 KB.
 */
function updateSets(
  generation: SeenGeneration,
  ids: readonly string[],
): { sets: BitfieldSet[]; replace: boolean } {
  const delta = idBitSets(generation.filter, ids);
  // Building the whole generation's SETs to compare took ~5 ms of a page's edge CPU; a count of
  // its non-zero words bounds their size from below, and a page's delta is far under that bound.
  if (jsonBytes(delta) <= WHOLE_SET_MIN_BYTES * nonZeroWords(generation.filter)) {
    return { sets: delta, replace: false };
  }
  const whole = wholeGenerationSets(generation.filter);
  return jsonBytes(delta) <= jsonBytes(whole)
    ? { sets: delta, replace: false }
    : { sets: whole, replace: true };
}

/** The fewest bytes a whole-generation SET takes in a REST body: `"set","u32",0,1,`. */
const WHOLE_SET_MIN_BYTES = 16;

/** How many SETs wholeGenerationSets would make, less its length SET, without making them. */
function nonZeroWords(filter: BloomFilter): number {
  const bits = filter.bits;
  let words = 0;
  for (let i = 0; i < bits.length; i += 4) {
    if (bits[i] || bits[i + 1] || bits[i + 2] || bits[i + 3]) words++;
  }
  return words;
}

/** The size of the SETs in a REST request body: `"set","u32",98272,4294967295,` each. */
function jsonBytes(sets: readonly BitfieldSet[]): number {
  let bytes = 0;
  for (const set of sets) {
    bytes += 11 + set.type.length + String(set.offset).length + String(set.value).length;
  }
  return bytes;
}

function bitfield(tx: RedisTransaction, key: string, sets: readonly BitfieldSet[]): void {
  if (sets.length === 0) return;
  const command = tx.bitfield(key);
  for (const set of sets) command.set(set.type, set.offset, set.value);
  command.exec();
}
