// The API's one Temporal connection and client: the connection is lazy, so the API starts (and answers
// 503) while Temporal is down; every start, signal, query and update carries the id of its request.
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { temporalConnectionOptions } from '../temporal-connection';
import { requestIdInterceptor } from './temporal-request-id';

export function createTemporalClient(config: Pick<Config, 'temporal'>): { connection: Connection; client: Client } {
  const connection = Connection.lazy(temporalConnectionOptions(config.temporal));
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    interceptors: { workflow: [requestIdInterceptor()] },
  });
  return { connection, client };
}
