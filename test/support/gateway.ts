/** Starts the real gateway (buildApp) on a free loopback port for end-to-end tests, plus clients. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { buildApp, type App } from '../../src/server/app.js';
import { loadConfig } from '../../src/config.js';

export interface Gateway {
  app: App;
  url: string;
  home: string;
  /** POST a GraphQL operation; returns the parsed JSON body (data and errors). */
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: any[] }>;
  /** Like gql, but fails the test on any GraphQL error. */
  data<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  ws(): Client;
  stop(): Promise<void>;
}

export async function startGateway(env: Record<string, string> = {}): Promise<Gateway> {
  const home = env.CASCADE_HOME ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-e2e-')));
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', CASCADE_DEMO: '0', ...env, CASCADE_HOME: home });
  const app = buildApp(config);
  await app.start();
  const url = app.url;
  const clients: Client[] = [];
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: any; errors?: any[] };
  };
  return {
    app,
    url,
    home,
    gql,
    async data(query, variables) {
      const body = await gql(query, variables);
      if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    ws() {
      const client = createClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.stop();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}

/** Collects events from a graphql-ws subscription until stopped. */
export function subscribe<T = any>(client: Client, query: string, variables?: Record<string, unknown>) {
  const events: T[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors) errors.push(...v.errors);
        if (v.data) events.push(v.data as T);
      },
      error: (e) => errors.push(e),
      complete: () => (completed = true),
    },
  );
  return { events, errors, unsubscribe, isCompleted: () => completed };
}

/** Polls until `check` returns true or the time runs out (then the caller's assertion reports). */
export async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}
