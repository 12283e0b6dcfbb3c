import { spawnSync } from "node:child_process";

/** A system program the local stack runs, and how a newcomer installs it. */
export interface Prerequisite {
  /** What to run; a `*_PATH` variable of the origin's config may name another binary. */
  binary: string;
  versionFlag: string;
  debianPackage: string;
  brewFormula: string;
}

export function prerequisites(paths: {
  redisServer: string;
  ffmpeg: string;
  ffprobe: string;
}): Prerequisite[] {
  return [
    {
      binary: paths.redisServer,
      versionFlag: "--version",
      debianPackage: "redis-server",
      brewFormula: "redis",
    },
    {
      binary: paths.ffmpeg,
      versionFlag: "-version",
      debianPackage: "ffmpeg",
      brewFormula: "ffmpeg",
    },
    {
      binary: paths.ffprobe,
      versionFlag: "-version",
      debianPackage: "ffmpeg",
      brewFormula: "ffmpeg",
    },
  ];
}

function runs(p: Prerequisite): boolean {
  return spawnSync(p.binary, [p.versionFlag], { stdio: "ignore" }).status === 0;
}

/**
 * One line per missing program, naming its package for Debian/Ubuntu and macOS; empty when
 * everything is there. Checked before the stack starts anything, so a missing program leaves
 * nothing running.
 */
export function missingPrerequisites(list: Prerequisite[]): string[] {
  const missing = list.filter((p) => !runs(p));
  const seen = new Set<string>();
  return missing.flatMap((p) => {
    if (seen.has(p.debianPackage)) return [];
    seen.add(p.debianPackage);
    return [
      `${p.binary} not found: install it with \`sudo apt-get install -y ${p.debianPackage}\` (Debian/Ubuntu) or \`brew install ${p.brewFormula}\` (macOS)`,
    ];
  });
}
