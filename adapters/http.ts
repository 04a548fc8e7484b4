// The http adapter: the user's own control plane over the REST contract in docs/adapters.md, every failure mapped to a named error.
//
// Rollback: apply hands the provider's operation id to `ctx.recordProviderOperation` as soon as the provider accepts,
// before polling, so it is stored with the cluster's run and outlives this process. Rollback gets it back as
// `providerOperationId` and calls `POST /operations/{operationId}/rollback` under the key `<idempotencyKey>:rollback`;
// the answer's `{ operationId }` is polled like an apply. Without a stored id the control plane never acknowledged an
// apply for this attempt, so there is nothing to roll back: ClusterApplyRejected.
//
// Errors, as the contract says: 404 on a cluster → ClusterNotFound; every other 4xx → ClusterApplyRejected
// (permanent: an operator fixes and retries); 5xx, network errors, timeouts and bodies that are not the
// documented JSON → ControlPlaneUnavailable (retried); a provider operation that ends 'failed' → ClusterApplyFailed.
//
// Credentials: `tokenRef` names a secret resolved on this worker at each call (adapters/secrets.ts); its value goes
// into the Authorization header and nowhere else. A config still holding a secret-named key is refused.
import { z } from 'zod';
import type { Cluster } from '../domain/cluster';
import { findSecretKeys, TokenRefSchema } from '../domain/secrets';
import { describeIssues, parseAdapterConfig } from './adapter-config';
import { abortReason, sleepUnlessAborted } from './cancellation';
import { bodyWords, networkCause } from './remote-errors';
import {
  ClusterApplyFailed,
  ClusterApplyRejected,
  ClusterNotFound,
  ControlPlaneUnavailable,
  secretMissing,
} from './errors';
import { noSecrets, type SecretResolver } from './secrets';
import type { AdapterContext, ClusterAdapter } from './types';

const HttpConfigSchema = z.object({
  baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be an http(s) URL' }),
  tokenRef: TokenRefSchema.optional(),
  timeoutMs: z.number().int().positive().max(600_000).default(10_000),
  pollMs: z.number().int().min(10).max(600_000).default(1000),
});
export type HttpConfig = z.infer<typeof HttpConfigSchema>;

// Lenient where a provider may reasonably differ (numeric ids, extra fields), strict where it decides the outcome.
const CreatedSchema = z.object({
  operationId: z.union([z.string().min(1).max(500), z.number()]).transform(String),
  duplicate: z.boolean().optional(),
});
const OperationSchema = z.object({
  state: z.enum(['running', 'succeeded', 'failed']),
  message: z.string().nullish(),
});
const HealthSchema = z.object({
  healthy: z.boolean(),
  version: z.string().nullish(),
  message: z.string().nullish(),
  metrics: z.record(z.string(), z.unknown()).nullish(),
});

const MAX_MESSAGE = 300;

const truncate = (text: string, max = MAX_MESSAGE) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** The provider's own words from an error body, cut to fit a run's error. */
const providerMessage = (text: string) => truncate(bodyWords(text) || '(empty body)');

function parseHttpConfig(cluster: Cluster): HttpConfig {
  // A row written before secrets moved out of the inventory: refuse it rather than call without credentials.
  const secretKeys = findSecretKeys(cluster.adapter.config);
  if (secretKeys.length > 0) {
    throw new ClusterApplyRejected(
      `http adapter config of cluster '${cluster.id}' holds ${secretKeys.join(', ')}: secrets are not read from the inventory; set tokenRef`,
    );
  }
  const config = parseAdapterConfig(HttpConfigSchema, cluster, 'http');
  return { ...config, baseUrl: config.baseUrl.replace(/\/+$/, '') };
}

/** What a header value may carry (visible characters, space, tab, obs-text): fetch's own refusal would quote the value. */
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]+$/;

/** Every occurrence of the secret replaced, before the provider's words are quoted anywhere. */
const withoutSecret = (text: string, secret: string | null) => (secret ? text.split(secret).join('[redacted]') : text);

/** One adapter call's settings: the config, and the bearer token its tokenRef resolved to (kept out of HttpConfig). */
interface Session {
  cfg: HttpConfig;
  bearer: string | null;
}

interface Request<T> {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  idempotencyKey?: string;
  /** A 404 here means the provider does not know the cluster (rather than a refused request). */
  notFoundIsCluster: boolean;
  clusterId: string;
  signal?: AbortSignal;
  schema: z.ZodType<T>;
}

export interface HttpAdapterDeps {
  fetch?: typeof fetch;
  /** Resolves `tokenRef`; without it every tokenRef is `secret_missing`. */
  secrets?: SecretResolver;
}

export function createHttpAdapter({
  fetch: fetchImpl = globalThis.fetch,
  secrets = noSecrets,
}: HttpAdapterDeps = {}): ClusterAdapter {
  /** Parses the config and resolves its secret once per adapter call, before anything is sent. */
  async function openSession(cluster: Cluster): Promise<Session> {
    const cfg = parseHttpConfig(cluster);
    if (cfg.tokenRef === undefined) return { cfg, bearer: null };
    const bearer = await secrets(cfg.tokenRef);
    if (!HEADER_SAFE.test(bearer)) {
      throw secretMissing(cfg.tokenRef, 'the secret holds a line break or another character a header cannot carry');
    }
    return { cfg, bearer };
  }

  async function send<T>({ cfg, bearer }: Session, req: Request<T>): Promise<T> {
    const what = `${req.method} ${req.path}`;
    const timeout = AbortSignal.timeout(cfg.timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey;

    let status: number;
    let text: string;
    try {
      // The timeout covers reading the body too: a provider that sends headers and then stalls is still down.
      const res = await fetchImpl(`${cfg.baseUrl}${req.path}`, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: req.signal ? AbortSignal.any([timeout, req.signal]) : timeout,
      });
      status = res.status;
      // A provider that echoes the token (`invalid token '…'`) must not put it into an error, a run or a log.
      text = withoutSecret(await res.text(), bearer);
    } catch (err) {
      if (req.signal?.aborted) throw abortReason(req.signal);
      if (timeout.aborted)
        throw new ControlPlaneUnavailable(`control plane did not answer ${what} within ${cfg.timeoutMs} ms`);
      throw new ControlPlaneUnavailable(
        `control plane unreachable for ${what}: ${withoutSecret(networkCause(err), bearer)}`,
      );
    }

    if (status === 404 && req.notFoundIsCluster) {
      throw new ClusterNotFound(
        `control plane does not know cluster '${req.clusterId}' (${what} → 404: ${providerMessage(text)})`,
      );
    }
    if (status >= 500) {
      throw new ControlPlaneUnavailable(`control plane answered ${status} to ${what}: ${providerMessage(text)}`);
    }
    if (status >= 400)
      throw new ClusterApplyRejected(`control plane refused ${what} (${status}): ${providerMessage(text)}`);
    if (status < 200 || status >= 300)
      throw new ControlPlaneUnavailable(`control plane answered ${what} with unexpected status ${status}`);

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ControlPlaneUnavailable(
        `control plane answered ${what} with a body that is not JSON: ${truncate(JSON.stringify(text), 200)}`,
      );
    }
    const parsed = req.schema.safeParse(json);
    if (!parsed.success) {
      const issues = describeIssues(parsed.error, '(body)');
      throw new ControlPlaneUnavailable(
        `control plane answered ${what} with an unexpected body (${issues}): ${truncate(text, 200)}`,
      );
    }
    return parsed.data;
  }

  /** Polls a provider operation until it ends; heartbeats each answer so a stuck worker is noticed. */
  async function waitFor(
    session: Session,
    cluster: Cluster,
    operationId: string,
    ctx: AdapterContext,
  ): Promise<string | null> {
    for (;;) {
      const op = await send(session, {
        method: 'GET',
        path: `/operations/${encodeURIComponent(operationId)}`,
        notFoundIsCluster: false,
        clusterId: cluster.id,
        signal: ctx.signal,
        schema: OperationSchema,
      });
      ctx.heartbeat({ providerOperationId: operationId, state: op.state });
      if (op.state === 'succeeded') return op.message ?? null;
      if (op.state === 'failed') {
        throw new ClusterApplyFailed(
          `provider operation ${operationId} on '${cluster.id}' failed: ${truncate(op.message ?? 'no message')}`,
        );
      }
      await sleepUnlessAborted(session.cfg.pollMs, ctx.signal);
    }
  }

  async function readHealth(session: Session, cluster: Cluster): ReturnType<ClusterAdapter['health']> {
    const body = await send(session, {
      method: 'GET',
      path: `/clusters/${encodeURIComponent(cluster.id)}/health`,
      notFoundIsCluster: true,
      clusterId: cluster.id,
      schema: HealthSchema,
    });
    // Non-numeric metrics are informational at best; keep only what can be compared.
    const metrics = Object.fromEntries(
      Object.entries(body.metrics ?? {}).filter(
        (e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]),
      ),
    );
    return {
      healthy: body.healthy,
      version: body.version ?? null,
      ...(body.message ? { message: truncate(body.message) } : {}),
      metrics,
    };
  }

  const health: ClusterAdapter['health'] = async ({ cluster }) => readHealth(await openSession(cluster), cluster);

  const apply: ClusterAdapter['apply'] = async ({ cluster, action, idempotencyKey }, ctx) => {
    const session = await openSession(cluster);
    const created = await send(session, {
      method: 'POST',
      path: '/operations',
      body: { clusterId: cluster.id, action, idempotencyKey },
      idempotencyKey,
      notFoundIsCluster: true,
      clusterId: cluster.id,
      signal: ctx.signal,
      schema: CreatedSchema,
    });
    await ctx.recordProviderOperation?.(created.operationId);
    ctx.heartbeat({ providerOperationId: created.operationId, state: 'accepted' });
    const message = await waitFor(session, cluster, created.operationId, ctx);
    // The change is done; a health read that fails now must not turn it into a failure (monitor checks health).
    const version = await readHealth(session, cluster).then(
      (answer) => answer.version,
      () => null,
    );
    return {
      duplicate: created.duplicate ?? false,
      version,
      message: message ?? `provider operation ${created.operationId} succeeded`,
    };
  };

  const describe: ClusterAdapter['describe'] = async ({ cluster }) => {
    try {
      const answer = await health({ cluster });
      return { exists: true, version: answer.version, healthy: answer.healthy };
    } catch (err) {
      if (err instanceof ClusterNotFound) return { exists: false, version: null, healthy: false };
      throw err;
    }
  };

  const rollback: ClusterAdapter['rollback'] = async (
    { cluster, idempotencyKey, fromVersion, providerOperationId },
    ctx,
  ) => {
    // Nothing to send without a stored id, so no secret is needed to say so.
    if (providerOperationId === null) {
      throw new ClusterApplyRejected(
        `cannot roll back '${cluster.id}': the control plane never acknowledged an apply for this cluster attempt (key ${idempotencyKey}), so there is no provider operation to roll back`,
      );
    }
    const session = await openSession(cluster);
    const key = `${idempotencyKey}:rollback`;
    const created = await send(session, {
      method: 'POST',
      path: `/operations/${encodeURIComponent(providerOperationId)}/rollback`,
      body: { clusterId: cluster.id, toVersion: fromVersion, idempotencyKey: key },
      idempotencyKey: key,
      notFoundIsCluster: false,
      clusterId: cluster.id,
      signal: ctx.signal,
      schema: CreatedSchema,
    });
    const message = await waitFor(session, cluster, created.operationId, ctx);
    return { message: message ?? `rolled back to ${fromVersion} (provider operation ${created.operationId})` };
  };

  return { apply, health, describe, rollback };
}
