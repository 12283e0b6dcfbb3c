import type { TestProject } from "vitest/node";
import { startE2EStack } from "./stack";

declare module "vitest" {
  export interface ProvidedContext {
    edgeUrl: string;
    redisUrl: string;
    adminToken: string;
    region: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  // 230: a viewer swipes through 200 videos without a repeat (e2e/crowd.e2e.ts).
  const stack = await startE2EStack({ videos: 230 });
  console.log(`e2e: stack up with ${stack.videoIds.length} videos in ${Date.now() - started} ms`);
  project.provide("edgeUrl", stack.edgeUrl);
  project.provide("redisUrl", stack.redisUrl);
  project.provide("adminToken", stack.adminToken);
  project.provide("region", stack.region);
  return stack.stop;
}
