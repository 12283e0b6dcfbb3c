import {
  apiWorkerCount,
  type BridgeConfig,
  ConfigError,
  type FeaturesConfig,
  loadBridgeConfig,
  loadConfig,
  loadFeaturesConfig,
  loadRankerConfig,
  loadRankerStorageConfig,
  loadSamplerConfig,
  loadStorageConfig,
  loadTranscodeConfig,
  type OriginConfig,
  type RankerConfig,
  type RankerStorageConfig,
  type SamplerConfig,
  type StorageConfig,
  type TranscodeConfig,
} from "./config";

/** What each role of origin/main.ts reads from the environment, and nothing more. */
export interface RoleConfigs {
  bridge: BridgeConfig;
  api: { origin: OriginConfig; workers: number };
  features: FeaturesConfig;
  archive: { storage: StorageConfig; features: FeaturesConfig };
  transcode: TranscodeConfig;
  ranker: { storage: RankerStorageConfig; features: FeaturesConfig; ranker: RankerConfig };
  sampler: SamplerConfig;
}

export type Role = keyof RoleConfigs;

const LOADERS: { [R in Role]: (env: NodeJS.ProcessEnv) => RoleConfigs[R] } = {
  bridge: loadBridgeConfig,
  // Read in the primary so a bad environment fails once instead of in every worker.
  api: (env) => ({ origin: loadConfig(env), workers: apiWorkerCount(env) }),
  features: loadFeaturesConfig,
  archive: (env) => ({ storage: loadStorageConfig(env), features: loadFeaturesConfig(env) }),
  transcode: loadTranscodeConfig,
  ranker: (env) => ({
    storage: loadRankerStorageConfig(env),
    features: loadFeaturesConfig(env),
    ranker: loadRankerConfig(env),
  }),
  sampler: loadSamplerConfig,
};

export const ROLES = Object.keys(LOADERS) as Role[];

export function isRole(name: string | undefined): name is Role {
  return name !== undefined && Object.hasOwn(LOADERS, name);
}

/**
 * The config of one role; a ConfigError names the role and the variable, e.g. `archive role:
 * environment variable S3_ENDPOINT: is required`.
 */
export function loadRoleConfig<R extends Role>(
  role: R,
  env: NodeJS.ProcessEnv = process.env,
): RoleConfigs[R] {
  try {
    return LOADERS[role](env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${role} role: ${error.message}`);
    throw error;
  }
}
