// `npm run check:bundle`: builds the production Worker the way `wrangler deploy` would
// (`--dry-run`, offline) and prints its size against the Workers script-size limits, so a
// dependency that bloats the bundle shows up in CI before a deploy fails.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const repoRoot = resolve(import.meta.dirname, "..");
// Workers limits on the compressed script (developers.cloudflare.com/workers/platform/limits).
const LIMITS = [
  { plan: "Workers Free", bytes: 3 * 1024 * 1024 },
  { plan: "Workers Paid", bytes: 10 * 1024 * 1024 },
];

const outDir = mkdtempSync(join(tmpdir(), "edgefeed-bundle-"));
try {
  const result = spawnSync(
    process.execPath,
    [
      join(repoRoot, "node_modules/wrangler/bin/wrangler.js"),
      "deploy",
      "--dry-run",
      "--outdir",
      outDir,
    ],
    { cwd: repoRoot, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    console.error("bundle: wrangler deploy --dry-run failed");
    process.exit(1);
  }
  const scripts = readdirSync(outDir).filter((f) => f.endsWith(".js"));
  const raw = scripts.reduce((sum, f) => sum + readFileSync(join(outDir, f)).byteLength, 0);
  const gzip = scripts.reduce(
    (sum, f) => sum + gzipSync(readFileSync(join(outDir, f))).byteLength,
    0,
  );
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log(`bundle: ${scripts.join(", ")}: ${kib(raw)}, gzip ${kib(gzip)}`);
  for (const limit of LIMITS) {
    const share = ((gzip / limit.bytes) * 100).toFixed(1);
    console.log(`bundle: ${share} % of the ${limit.plan} limit (${kib(limit.bytes)} compressed)`);
  }
  if (gzip > LIMITS[0]!.bytes) {
    console.error("bundle: over the Workers Free limit");
    process.exit(1);
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
