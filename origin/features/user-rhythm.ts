import type { StoredEvent } from "../../contracts/event.schema";

/**
 * Humans swipe irregularly: the time between two video starts varies by seconds. A script
 * that starts a video every 3000 ms, or posts hundreds of events a minute, is not a person.
 */
export const RHYTHM_MIN_INTERVALS = 20;
/** Coefficient of variation of play-to-play intervals below which a user is a bot. */
export const RHYTHM_MAX_CV = 0.05;
/** Events per minute of edge time no thumb produces, even swiping and liking flat out. */
export const RATE_MAX_PER_MINUTE = 600;
const MAX_TRACKED_USERS = 200_000;

interface Rhythm {
  lastPlayTs: number | undefined;
  intervals: number;
  mean: number;
  m2: number;
  minute: number;
  inMinute: number;
}

/**
 * Watches each user's rhythm over all their sessions, since a script that starts a new session
 * every few events is still one account. State lives in memory: a partition (users are
 * partitioned) is always seen by its one owner, and a restart only delays a flag by a few events.
 */
export class UserRhythm {
  private readonly users = new Map<string, Rhythm>();

  /** Feeds one event; true when the user just crossed into bot territory. */
  observe(stored: StoredEvent): boolean {
    const rhythm = this.rhythmOf(stored.user_id);
    const minute = Math.floor(stored.received_at / 60_000);
    if (minute !== rhythm.minute) {
      rhythm.minute = minute;
      rhythm.inMinute = 0;
    }
    rhythm.inMinute++;
    if (rhythm.inMinute === RATE_MAX_PER_MINUTE + 1) return true;
    if (stored.event.type !== "play") return false;
    const ts = stored.event.ts;
    const last = rhythm.lastPlayTs;
    rhythm.lastPlayTs = ts;
    if (last === undefined || ts <= last) return false;
    // Welford: a running variance without keeping the intervals.
    const interval = ts - last;
    rhythm.intervals++;
    const delta = interval - rhythm.mean;
    rhythm.mean += delta / rhythm.intervals;
    rhythm.m2 += delta * (interval - rhythm.mean);
    if (rhythm.intervals < RHYTHM_MIN_INTERVALS) return false;
    // Judged per block of intervals, so a bot that starts out irregular is still caught.
    const cv = Math.sqrt(rhythm.m2 / rhythm.intervals) / rhythm.mean;
    rhythm.intervals = 0;
    rhythm.mean = 0;
    rhythm.m2 = 0;
    return cv < RHYTHM_MAX_CV;
  }

  private rhythmOf(userId: string): Rhythm {
    let rhythm = this.users.get(userId);
    if (rhythm) return rhythm;
    if (this.users.size >= MAX_TRACKED_USERS) {
      const oldest = this.users.keys().next().value;
      if (oldest !== undefined) this.users.delete(oldest);
    }
    rhythm = { lastPlayTs: undefined, intervals: 0, mean: 0, m2: 0, minute: 0, inMinute: 0 };
    this.users.set(userId, rhythm);
    return rhythm;
  }
}
