import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DEMO_FONT, demoClipArgs, renderDemoClip } from "./clip.render";
import type { DemoClipSpec } from "./demo.catalog";

/**
 * Rendered demo clips, one file per spec under a cache folder (`.dev-stack/demo-clips/` for the
 * local stack): the file name is a digest of everything that decides the bytes, so a changed
 * spec renders anew and an unchanged one is never rendered twice.
 */
export class DemoClipCache {
  constructor(
    readonly directory: string,
    private readonly ffmpegPath = "ffmpeg",
  ) {
    mkdirSync(directory, { recursive: true });
  }

  pathOf(spec: DemoClipSpec): string {
    // The arguments carry the spec, the font and the encoder settings.
    const digest = createHash("sha256")
      .update(JSON.stringify([DEMO_FONT ?? null, demoClipArgs(spec, "out.mp4")]))
      .digest("hex")
      .slice(0, 24);
    return join(this.directory, `${digest}.mp4`);
  }

  has(spec: DemoClipSpec): boolean {
    return existsSync(this.pathOf(spec));
  }

  /** The clip's file, rendered first if the cache lacks it (written aside, then renamed). */
  async ensure(spec: DemoClipSpec, signal?: AbortSignal): Promise<string> {
    const path = this.pathOf(spec);
    if (existsSync(path)) return path;
    const partial = `${path}.${process.pid}.partial.mp4`;
    try {
      await renderDemoClip(spec, partial, this.ffmpegPath, signal);
      renameSync(partial, path);
    } finally {
      rmSync(partial, { force: true });
    }
    return path;
  }
}
