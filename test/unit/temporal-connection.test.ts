// TLS and API key to Temporal: configuration turns into connection options, certificate files read once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../config';
import { temporalConnectionOptions } from '../../temporal-connection';

test('when no TLS variable is set, then the connection is plain', () => {
  assert.deepEqual(temporalConnectionOptions(loadConfig({}).temporal), { address: '127.0.0.1:7233' });
});

test('when CA, client certificate and server name are set, then mTLS options carry the file contents', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-tls-'));
  for (const f of ['ca.pem', 'client.pem', 'client.key']) fs.writeFileSync(path.join(dir, f), `-- ${f} --`);
  const options = temporalConnectionOptions(
    loadConfig({
      TEMPORAL_ADDRESS: 'temporal.example:7233',
      TEMPORAL_TLS_CA_FILE: path.join(dir, 'ca.pem'),
      TEMPORAL_TLS_CERT_FILE: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_KEY_FILE: path.join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    }).temporal,
  );
  assert.equal(options.tls?.serverNameOverride, 'temporal.internal');
  assert.equal(options.tls?.serverRootCACertificate?.toString(), '-- ca.pem --');
  assert.equal(options.tls?.clientCertPair?.crt.toString(), '-- client.pem --');
  assert.equal(options.tls?.clientCertPair?.key.toString(), '-- client.key --');
});

test('when an API key is set, then TLS is on and the key is sent', () => {
  const options = temporalConnectionOptions(loadConfig({ TEMPORAL_API_KEY: 'key-123' }).temporal);
  assert.deepEqual(options, { address: '127.0.0.1:7233', apiKey: 'key-123', tls: {} });
});

test('when a client certificate comes without its key, or a file is missing, then it says so at boot', () => {
  assert.throws(() => loadConfig({ TEMPORAL_TLS_CERT_FILE: '/x.pem' }), /go together/);
  assert.throws(
    () => temporalConnectionOptions(loadConfig({ TEMPORAL_TLS_CA_FILE: '/nonexistent/ca.pem' }).temporal),
    /cannot read TEMPORAL_TLS_CA_FILE '\/nonexistent\/ca.pem': ENOENT/,
  );
});
