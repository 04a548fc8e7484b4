// The API's one Temporal connection: lazy, so the API starts (and reports 503) while Temporal is down.
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { temporalConnectionOptions } from '../temporal-connection';

export function createTemporalClient(config: Pick<Config, 'temporal'>): { connection: Connection; client: Client } {
  const connection = Connection.lazy(temporalConnectionOptions(config.temporal));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { connection, client };
}
