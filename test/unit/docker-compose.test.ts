/**
 * docker-compose.yml is for users with Docker (nothing here runs it): it must parse, name the stack
 * the README describes, and point its services at each other consistently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, unknown>;
}

describe('docker-compose.yml', () => {
  const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
  const services = compose.services;

  it('runs PostgreSQL, an S3 server with its bucket, Nessie on both, and two gateways built from this repository', () => {
    expect(Object.keys(services).sort()).toEqual(['gateway', 'gateway-nessie', 'nessie', 'postgres', 's3', 's3-bucket']);
    expect(services.s3!.image).toMatch(/^versity\/versitygw:/); // Apache-2.0, not MinIO
    for (const g of ['gateway', 'gateway-nessie']) {
      expect(services[g]!.build).toBe('.');
      expect(fs.existsSync(path.join(root, 'Dockerfile'))).toBe(true);
    }
  });

  it('gives the gateways and Nessie the same bucket, endpoint and keys, and a dependency on what they use', () => {
    const nessie = services.nessie!.environment!;
    const bucket = /^s3:\/\/([^/]+)\//.exec(nessie['nessie.catalog.warehouses.lakehouse.location']!)![1];
    for (const g of ['gateway', 'gateway-nessie']) {
      const env = services[g]!.environment!;
      expect(env.WAREHOUSE, g).toMatch(new RegExp(`^s3://${bucket}/`));
      expect(env.AWS_ENDPOINT_URL_S3, g).toBe(nessie['nessie.catalog.service.s3.default-options.endpoint']);
      expect(env.AWS_ACCESS_KEY_ID, g).toBe(nessie['lakehouse.s3.name']);
      expect(env.AWS_SECRET_ACCESS_KEY, g).toBe(nessie['lakehouse.s3.secret']);
      expect(env.AWS_ACCESS_KEY_ID).toBe(services.s3!.environment!.ROOT_ACCESS_KEY);
    }
    expect(services['gateway-nessie']!.environment!.NESSIE_URI).toBe('http://nessie:19120/api/v2');
    expect(nessie['nessie.version.store.type']).toBe('JDBC2');
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(services[d], `${name} depends on ${d}`).toBeDefined();
    }
  });
});
