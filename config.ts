// The one place that reads the environment: validated once at boot, typed for everyone else.
import { z } from 'zod';
import { parseTokenList, type TokenEntry } from './domain/auth';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/fleetwave'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('fleetwave'),
  TEMPORAL_UI_URL: z.string().default('http://127.0.0.1:8233'),
  TEMPORAL_TLS: bool,
  TEMPORAL_TLS_CA_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_CERT_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_FILE: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  FLEET_API_TOKENS: z.string().default(''),
  FLEET_ALLOW_SELF_APPROVAL: bool,
  FLEET_SECRETS_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_PRETTY: bool,
  // 0 turns the endpoint off; tests run several workers in one process and must not collide.
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  STATUS_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  FORECAST_CACHE_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(25),
  LEASE_TAKEOVER_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).default(400),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).default(40),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(500),
});

export interface Config {
  env: string;
  production: boolean;
  port: number;
  host: string;
  databaseUrl: string;
  databasePoolSize: number;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
    /** TLS to Temporal (any TEMPORAL_TLS* variable turns it on); client certificate for mTLS. */
    tls?: { caFile?: string; certFile?: string; keyFile?: string; serverName?: string };
    apiKey?: string;
  };
  /** Empty means open mode: every caller is `dev:admin` (refused in production). */
  tokens: TokenEntry[];
  allowSelfApproval: boolean;
  /**
   * Where the worker reads a secret named by a cluster's tokenRef when FLEET_SECRET_<tokenRef> is not set;
   * null: the environment only. The secrets themselves are never part of the config.
   */
  secretsDir: string | null;
  logLevel: string;
  logPretty: boolean;
  /** Worker-side Prometheus endpoints (bound on `host`); 0 means off. */
  metrics: { workerPort: number; temporalPort: number };
  /** How long GET /v1/operations/:id reuses one answer (concurrent callers share one load regardless). */
  statusCacheMs: number;
  /** How long the run durations behind forecasts are reused, per kind and action (shared by every request). */
  forecastCacheMs: number;
  worker: {
    shutdownGraceSeconds: number;
    leaseTakeoverGraceMs: number;
    maxConcurrentActivities: number;
    maxConcurrentWorkflowTasks: number;
    maxCachedWorkflows: number;
  };
}

/** Reads and validates configuration; throws one readable error listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const tokens = parseTokenList(e.FLEET_API_TOKENS);
  const production = e.NODE_ENV === 'production';
  if (production && tokens.length === 0) {
    throw new Error('FLEET_API_TOKENS is required when NODE_ENV=production (the API will not run open)');
  }
  if (Boolean(e.TEMPORAL_TLS_CERT_FILE) !== Boolean(e.TEMPORAL_TLS_KEY_FILE)) {
    throw new Error('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together (mTLS needs both)');
  }
  if (e.WORKER_METRICS_PORT !== 0 && e.WORKER_METRICS_PORT === e.TEMPORAL_METRICS_PORT) {
    throw new Error('WORKER_METRICS_PORT and TEMPORAL_METRICS_PORT must differ (or be 0 to turn one off)');
  }
  return {
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
      ...(e.TEMPORAL_TLS || e.TEMPORAL_TLS_CA_FILE || e.TEMPORAL_TLS_CERT_FILE || e.TEMPORAL_TLS_SERVER_NAME
        ? {
            tls: {
              caFile: e.TEMPORAL_TLS_CA_FILE,
              certFile: e.TEMPORAL_TLS_CERT_FILE,
              keyFile: e.TEMPORAL_TLS_KEY_FILE,
              serverName: e.TEMPORAL_TLS_SERVER_NAME,
            },
          }
        : {}),
      ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
    },
    tokens,
    allowSelfApproval: e.FLEET_ALLOW_SELF_APPROVAL,
    secretsDir: e.FLEET_SECRETS_DIR ?? null,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
    metrics: { workerPort: e.WORKER_METRICS_PORT, temporalPort: e.TEMPORAL_METRICS_PORT },
    statusCacheMs: e.STATUS_CACHE_MS,
    forecastCacheMs: e.FORECAST_CACHE_MS,
    worker: {
      shutdownGraceSeconds: e.WORKER_SHUTDOWN_GRACE_SECONDS,
      leaseTakeoverGraceMs: e.LEASE_TAKEOVER_GRACE_SECONDS * 1000,
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    },
  };
}
