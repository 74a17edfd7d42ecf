/**
 * graphql-ws `next` messages whose payload object many subscribers share (subscriptions/shared-
 * execution.ts hands them the same ExecutionResult) are serialised once: the payload's JSON is kept
 * by object (a WeakMap), and each subscriber's message is `{"id":…,"type":"next","payload":` + that
 * JSON + `}` instead of a fresh JSON.stringify of the whole result.
 *
 * graphql-ws builds every message as `socket.send(stringifyMessage(msg, replacer))` — one synchronous
 * expression — so the replacer swaps the payload for a marker and notes its JSON, and the send of
 * src/server/ws-server.ts puts the JSON where the marker ends the message. A message that does
 * not end with the marker is sent as it is. Payload objects must not change once sent (results are
 * never mutated here: request ids and masked errors copy the result).
 */

const MARK = '\u0000cascade-shared-payload\u0000';
/** How the marker ends a serialised message: `"payload":"<escaped marker>"}`. */
const MARK_TAIL = `${JSON.stringify(MARK)}}`;

const serialised = new WeakMap<object, string>();
let pending: string | null = null;

/** graphql-ws `jsonMessageReplacer`: the payload of a `next` message becomes the marker. */
export function sharedPayloadReplacer(this: unknown, key: string, value: unknown): unknown {
  if (key !== 'payload' || value === null || typeof value !== 'object' || (this as { type?: unknown } | null)?.type !== 'next') return value;
  pending = payloadJson(value);
  return MARK;
}

/**
 * The `next` messages of subscription `id` as graphql-ws's stringifyMessage writes them
 * (`{"id":…,"type":"next","payload":…}`), with the shared payload JSON: for senders that do not go
 * through graphql-ws's loop (the direct sink in src/server/ws-server.ts).
 */
export function nextMessages(id: string): (payload: object) => string {
  const head = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  return (payload) => `${head}${payloadJson(payload)}}`;
}

/** The JSON of a payload object, serialised once however many subscribers get it. */
function payloadJson(value: object): string {
  let json = serialised.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    serialised.set(value, json);
  }
  return json;
}

/** The message as it goes out: the marker replaced by the payload's JSON noted by the replacer. */
export function withSharedPayload(data: unknown): unknown {
  const json = pending;
  pending = null;
  if (json === null || typeof data !== 'string' || !data.endsWith(MARK_TAIL)) return data;
  return `${data.slice(0, data.length - MARK_TAIL.length)}${json}}`;
}
