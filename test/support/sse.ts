/** A minimal GraphQL-over-SSE client (distinct connections mode, as graphql-yoga serves it). */
export function readSse(url: string, query: string, variables?: Record<string, unknown>) {
  const events: any[] = [];
  const errors: unknown[] = [];
  const abort = new AbortController();
  (async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
    });
    await forEachSseMessage(res.body!, (msg) => {
      if (msg.errors) errors.push(...msg.errors);
      if (msg.data) events.push(msg.data);
    });
  })().catch((e) => {
    if (!abort.signal.aborted) errors.push(e);
  });
  return { events, errors, close: () => abort.abort() };
}

/** Calls `onMessage` with each `data:` payload (parsed JSON) of an SSE stream until it ends. */
export async function forEachSseMessage(body: ReadableStream<any>, onMessage: (msg: any) => void): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let i;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('\n');
      if (data) onMessage(JSON.parse(data));
    }
  }
}
