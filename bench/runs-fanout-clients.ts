/**
 * A load-generator worker of the runs fan-out benchmark (bench/runs-fanout.ts), forked with an IPC
 * channel: it holds many WebSocket subscribers and reports delivery latencies (receive time − the
 * event's `at`) as a 1 ms histogram.
 *
 *   { type: 'connect', url, kind: 'gateway' | 'ws', count, query?, variables?, concurrency }
 *       gateway: `count` graphql-ws clients (graphql-ws createClient over `ws`), each subscribed
 *       to `query`; ws: `count` plain `ws` clients of the bare broadcast server. Answers
 *       { type: 'connected', opened, failed, errors }.
 *   { type: 'status' }    → { type: 'status', ready (clients that received an event), open }
 *   { type: 'measure', ms } records for `ms`, then → { type: 'result', … }
 *   { type: 'close' }     closes every client → { type: 'closed' }
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

interface Sub {
  lastSeq: number;
  received: number;
  inWindow: number;
  open: boolean;
  close: () => void;
}

const subs: Sub[] = [];
const errors: string[] = [];
let measuring = false;
let hist = new Map<number, number>();
let gaps = 0;
let dups = 0;
let closedDuring = 0;

const note = (e: unknown) => {
  if (errors.length < 10) errors.push(e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e)?.slice(0, 300) ?? String(e));
};

function record(sub: Sub, ev: { seq?: number; at?: string } | undefined) {
  const now = Date.now();
  if (!ev || typeof ev.seq !== 'number' || typeof ev.at !== 'string') return;
  if (sub.lastSeq > 0) {
    if (ev.seq <= sub.lastSeq) dups++;
    else if (ev.seq !== sub.lastSeq + 1) gaps++;
  }
  sub.lastSeq = Math.max(sub.lastSeq, ev.seq);
  sub.received++;
  if (!measuring) return;
  sub.inWindow++;
  const ms = Math.max(0, now - Date.parse(ev.at));
  hist.set(ms, (hist.get(ms) ?? 0) + 1);
}

function openGateway(url: string, query: string, variables: Record<string, unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    const sub: Sub = { lastSeq: 0, received: 0, inWindow: 0, open: false, close: () => undefined };
    const client: Client = createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionAckWaitTimeout: 120_000,
      on: {
        connected: () => {
          sub.open = true;
          done(true);
        },
        closed: () => {
          if (sub.open && measuring) closedDuring++;
          sub.open = false;
          done(false);
        },
        error: (e) => {
          note(e);
          done(false);
        },
      },
    });
    sub.close = () => void client.dispose();
    subs.push(sub);
    client.subscribe<{ runEvents?: { seq?: number; at?: string } }>(
      { query, variables },
      {
        next: (v) => {
          if (v.errors) note(v.errors);
          record(sub, v.data?.runEvents);
        },
        error: (e) => note(e),
        complete: () => undefined,
      },
    );
  });
}

function openWs(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sub: Sub = { lastSeq: 0, received: 0, inWindow: 0, open: false, close: () => undefined };
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, { handshakeTimeout: 120_000 });
    sub.close = () => ws.terminate();
    subs.push(sub);
    ws.on('open', () => {
      sub.open = true;
      resolve(true);
    });
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { payload?: { data?: { runEvents?: { seq?: number; at?: string } } } };
      record(sub, m.payload?.data?.runEvents);
    });
    ws.on('error', (e) => {
      note(e);
      resolve(false);
    });
    ws.on('close', () => {
      if (sub.open && measuring) closedDuring++;
      sub.open = false;
      resolve(false);
    });
  });
}

type Message =
  | { type: 'connect'; url: string; kind: 'gateway' | 'ws'; count: number; query?: string; variables?: Record<string, unknown>; concurrency: number }
  | { type: 'status' }
  | { type: 'measure'; ms: number }
  | { type: 'close' };

process.on('message', (m: Message) => {
  void (async () => {
    switch (m.type) {
      case 'connect': {
        let opened = 0;
        let failed = 0;
        let next = 0;
        const lane = async () => {
          while (next < m.count) {
            next++;
            const ok = m.kind === 'gateway' ? await openGateway(m.url, m.query!, m.variables ?? {}) : await openWs(m.url);
            if (ok) opened++;
            else failed++;
          }
        };
        await Promise.all(Array.from({ length: Math.max(1, m.concurrency) }, lane));
        process.send!({ type: 'connected', opened, failed, errors: errors.splice(0) });
        break;
      }
      case 'status':
        process.send!({ type: 'status', ready: subs.filter((s) => s.received > 0).length, open: subs.filter((s) => s.open).length });
        break;
      case 'measure': {
        hist = new Map();
        gaps = 0;
        dups = 0;
        closedDuring = 0;
        for (const s of subs) s.inWindow = 0;
        measuring = true;
        await new Promise((r) => setTimeout(r, m.ms));
        measuring = false;
        const per = subs.map((s) => s.inWindow).sort((a, b) => a - b);
        process.send!({
          type: 'result',
          hist: [...hist.entries()],
          clients: subs.length,
          open: subs.filter((s) => s.open).length,
          received: per.reduce((a, b) => a + b, 0),
          perClientMin: per[0] ?? 0,
          perClientMedian: per[Math.floor(per.length / 2)] ?? 0,
          gaps,
          dups,
          closedDuring,
          errors: errors.splice(0),
        });
        break;
      }
      case 'close': {
        for (const s of subs.splice(0)) s.close();
        await new Promise((r) => setTimeout(r, 500));
        process.send!({ type: 'closed' });
        break;
      }
    }
  })().catch((e: unknown) => {
    note(e);
    process.send!({ type: 'failed', error: (e as Error).stack ?? String(e) });
  });
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
