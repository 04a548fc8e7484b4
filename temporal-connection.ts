// How every fleetwave process reaches Temporal: address plus optional TLS (mTLS) and API key, read
// once from configuration; the certificate files are read here, at boot, never per call.
import fs from 'node:fs';
import type { Config } from './config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

function read(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${what} '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export function temporalConnectionOptions(temporal: Config['temporal']): TemporalConnectionOptions {
  const t = temporal.tls;
  if (!t) return { address: temporal.address, ...(temporal.apiKey ? { apiKey: temporal.apiKey, tls: {} } : {}) };
  return {
    address: temporal.address,
    tls: {
      ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
      ...(t.caFile ? { serverRootCACertificate: read(t.caFile, 'TEMPORAL_TLS_CA_FILE') } : {}),
      ...(t.certFile && t.keyFile
        ? {
            clientCertPair: {
              crt: read(t.certFile, 'TEMPORAL_TLS_CERT_FILE'),
              key: read(t.keyFile, 'TEMPORAL_TLS_KEY_FILE'),
            },
          }
        : {}),
    },
    ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
  };
}
