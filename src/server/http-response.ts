/**
 * The gateway's HTTP response (node:http's `ServerResponse` option): the headers every response
 * carries (the request id and the security headers, given once per request with `carry`) are
 * written with the status line, whoever writes the response: yoga, the direct POST path, the
 * operational routes, the gateway's own 401, 413 and 429. A header the writer sets itself wins, as
 * if the carried ones had been set first and then overwritten.
 *
 * Why not `setHeader` for each when the request arrives: setting seven headers one by one cost a
 * sixth of a small query's time. When nothing was set before `writeHead`, the carried headers and
 * the writer's go to node in one list.
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';

type Headers = OutgoingHttpHeaders | OutgoingHttpHeader[];

export class GatewayResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** [name, value, ...] to write with the status line; undefined once written (or when nothing was carried). */
  #carried: string[] | undefined;

  /** The request id and the [name, value, ...] headers this response carries. */
  carry(requestId: string, headers: readonly string[]): void {
    this.#carried = ['x-request-id', requestId, ...headers];
  }

  override writeHead(statusCode: number, reason?: string | Headers, headers?: Headers): this {
    const carried = this.#carried;
    if (!carried) return super.writeHead(statusCode, reason as string, headers);
    this.#carried = undefined;
    const given = typeof reason === 'string' ? headers : reason;
    if (this.getHeaderNames().length === 0 && !Array.isArray(given)) {
      const list = withoutNames(carried, given);
      for (const name in given) {
        const value = given[name];
        if (Array.isArray(value)) for (const v of value) list.push(name, v);
        else if (value !== undefined) list.push(name, String(value));
      }
      return typeof reason === 'string' ? super.writeHead(statusCode, reason, list) : super.writeHead(statusCode, list);
    }
    for (let i = 0; i < carried.length; i += 2) {
      if (!this.hasHeader(carried[i]!)) this.setHeader(carried[i]!, carried[i + 1]!);
    }
    return super.writeHead(statusCode, reason as string, headers); // node sets the writer's headers over these
  }
}

/** The carried [name, value, ...] list without the names `given` sets (header names are case-insensitive). */
function withoutNames(carried: string[], given: OutgoingHttpHeaders | undefined): string[] {
  if (!given) return carried;
  const names = new Set(Object.keys(given).map((n) => n.toLowerCase()));
  const list: string[] = [];
  for (let i = 0; i < carried.length; i += 2) if (!names.has(carried[i]!)) list.push(carried[i]!, carried[i + 1]!);
  return list;
}
