// A scriptable fake of a user's HTTP control plane (the http adapter's contract) on 127.0.0.1, recording every request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type ControlPlaneEndpoint = 'create' | 'poll' | 'health' | 'rollback';

/** How the control plane treats one cluster; read at each request, so a test may re-script mid-way. */
export interface ControlPlaneBehaviour {
  /** What health reports; a succeeded upgrade or rollback moves it. Default '1.0.0'. */
  version?: string;
  /** Default true. */
  healthy?: boolean;
  metrics?: Record<string, number>;
  /** Polls answered 'running' before an operation ends. Default 0. */
  pollsUntilDone?: number;
  /** How operations on this cluster end. Default 'succeeded'. */
  outcome?: 'succeeded' | 'failed';
  message?: string;
  /**
   * Instead of behaving, answer `on` (default: every endpoint) with `status` and `body` (JSON) or `raw` (sent as
   * is, labelled JSON: malformed answers), after `delayMs`; only the next `times` requests when given.
   */
  fault?: {
    on?: ControlPlaneEndpoint[];
    status?: number;
    body?: unknown;
    raw?: string;
    delayMs?: number;
    times?: number;
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  endpoint: ControlPlaneEndpoint | null;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** What the fake answered (status, and the JSON body or raw text), once it has; e.g. the operationId a create gave. */
  answer?: { status: number; body: unknown };
}

/** A change the control plane made, once per provider operation that succeeded. */
export interface AppliedEffect {
  clusterId: string;
  operationId: string;
  idempotencyKey: string;
  action: { type: string; targetVersion?: string; toVersion?: string; [key: string]: unknown };
}

export interface ControlPlane {
  url: string;
  requests: RecordedRequest[];
  effects: AppliedEffect[];
  script(clusterId: string, behaviour?: ControlPlaneBehaviour): void;
  close(): Promise<void>;
}

interface Operation {
  id: string;
  clusterId: string;
  idempotencyKey: string;
  action: AppliedEffect['action'];
  polls: number;
  state: 'running' | 'succeeded' | 'failed';
}

interface ClusterState {
  behaviour: ControlPlaneBehaviour;
  version: string;
}

/** Starts the fake on a free port; `token` makes it answer 401 to requests without that Bearer token. */
export async function startControlPlane(opts: { token?: string } = {}): Promise<ControlPlane> {
  const clusters = new Map<string, ClusterState>();
  const operations = new Map<string, Operation>();
  const byKey = new Map<string, Operation>();
  const requests: RecordedRequest[] = [];
  const effects: AppliedEffect[] = [];
  const closing = new AbortController();
  let nextId = 1;

  const answers = new WeakMap<http.ServerResponse, RecordedRequest>();
  const send = (res: http.ServerResponse, status: number, body: unknown, raw?: string) => {
    const recorded = answers.get(res);
    if (recorded) recorded.answer = { status, body: raw ?? body };
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(raw ?? JSON.stringify(body));
  };

  const create = (clusterId: string, idempotencyKey: string, action: Operation['action']) => {
    const existing = byKey.get(idempotencyKey);
    // Like a real provider: the same key is the same operation; "duplicate" once it has already been applied.
    if (existing) return { operationId: existing.id, duplicate: existing.state === 'succeeded' };
    const op: Operation = { id: `op-${nextId++}`, clusterId, idempotencyKey, action, polls: 0, state: 'running' };
    operations.set(op.id, op);
    byKey.set(idempotencyKey, op);
    return { operationId: op.id, duplicate: false };
  };

  const poll = (op: Operation, cluster: ClusterState) => {
    if (op.state === 'running' && op.polls++ >= (cluster.behaviour.pollsUntilDone ?? 0)) {
      op.state = cluster.behaviour.outcome ?? 'succeeded';
      if (op.state === 'succeeded') {
        const version =
          op.action.type === 'upgrade'
            ? op.action.targetVersion
            : op.action.type === 'rollback'
              ? op.action.toVersion
              : undefined;
        if (typeof version === 'string') cluster.version = version;
        effects.push({
          clusterId: op.clusterId,
          operationId: op.id,
          idempotencyKey: op.idempotencyKey,
          action: op.action,
        });
      }
    }
    const message =
      op.state === 'failed'
        ? (cluster.behaviour.message ?? 'the provider could not complete the change')
        : `operation ${op.state}`;
    return { state: op.state, message };
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // recorded as text
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    let endpoint: ControlPlaneEndpoint | null = null;
    let clusterId: string | undefined;
    let op: Operation | undefined;
    if (method === 'POST' && segments.length === 1 && segments[0] === 'operations') {
      endpoint = 'create';
      clusterId = (body as { clusterId?: string } | undefined)?.clusterId;
    } else if (segments[0] === 'operations' && segments.length >= 2) {
      op = operations.get(segments[1]!);
      clusterId = op?.clusterId;
      if (method === 'GET' && segments.length === 2) endpoint = 'poll';
      if (method === 'POST' && segments.length === 3 && segments[2] === 'rollback') endpoint = 'rollback';
    } else if (method === 'GET' && segments.length === 3 && segments[0] === 'clusters' && segments[2] === 'health') {
      endpoint = 'health';
      clusterId = segments[1];
    }
    const recorded: RecordedRequest = { method, path, endpoint, headers: req.headers, body };
    requests.push(recorded);
    answers.set(res, recorded);

    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`)
      return send(res, 401, { message: 'bad or missing token' });
    if (!endpoint) return send(res, 404, { message: `no route ${method} ${path}` });
    const cluster = clusterId === undefined ? undefined : clusters.get(clusterId);
    const fault = cluster?.behaviour.fault;
    if (fault && (fault.on ?? [endpoint]).includes(endpoint) && (fault.times === undefined || fault.times > 0)) {
      if (fault.times !== undefined) fault.times--;
      if (fault.delayMs) await sleep(fault.delayMs, undefined, { signal: closing.signal }).catch(() => undefined);
      if (fault.status !== undefined || fault.raw !== undefined)
        return send(res, fault.status ?? 200, fault.body ?? {}, fault.raw);
    }
    if (endpoint !== 'create' && endpoint !== 'health' && !op)
      return send(res, 404, { message: `operation '${segments[1]}' not found` });
    if (!cluster) return send(res, 404, { message: `cluster '${clusterId ?? '(none)'}' not found` });

    switch (endpoint) {
      case 'create': {
        const { idempotencyKey, action } = body as { idempotencyKey?: string; action?: Operation['action'] };
        if (!idempotencyKey || !action)
          return send(res, 400, { message: 'clusterId, action and idempotencyKey are required' });
        return send(res, 202, create(clusterId!, idempotencyKey, action));
      }
      case 'poll':
        return send(res, 200, poll(op!, cluster));
      case 'rollback': {
        const { idempotencyKey, toVersion } = body as { idempotencyKey?: string; toVersion?: string };
        if (!idempotencyKey) return send(res, 400, { message: 'idempotencyKey is required' });
        return send(res, 202, create(op!.clusterId, idempotencyKey, { type: 'rollback', toVersion, of: op!.id }));
      }
      case 'health':
        return send(res, 200, {
          healthy: cluster.behaviour.healthy ?? true,
          version: cluster.version,
          metrics: cluster.behaviour.metrics ?? { underReplicatedPartitions: 0 },
        });
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { message: `fake control plane bug: ${String(err)}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    effects,
    script(clusterId, behaviour = {}) {
      // A re-script keeps the version earlier changes moved it to, unless it names one.
      const version = behaviour.version || (clusters.get(clusterId)?.version ?? '1.0.0');
      clusters.set(clusterId, { behaviour: { ...behaviour }, version });
    },
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
