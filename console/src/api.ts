/**
 * The console's only way to the gateway: the public GraphQL API, over HTTP POST for queries and
 * mutations and graphql-ws (the same /graphql endpoint) for subscriptions. The token and the role
 * picked are sent as the Authorization and role headers (connection parameters for graphql-ws).
 */
import { createClient, type Client } from 'graphql-ws';

const TOKEN_KEY = 'cascade.token';
const ROLE_KEY = 'cascade.role';

/** Why a call failed, in words for people; `kind` lets a view pick its empty or error state. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: 'unauthenticated' | 'forbidden' | 'graphql' | 'network',
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface Session {
  token: string | null;
  /** The role asked for with the role header; null: the token's highest. */
  role: string | null;
}

type Listener = () => void;

export class Api {
  #session: Session;
  #ws: Client | undefined;
  #listeners = new Set<Listener>();

  constructor() {
    this.#session = { token: localStorage.getItem(TOKEN_KEY), role: localStorage.getItem(ROLE_KEY) };
    this.#takeTokenFromRedirect();
  }

  get session(): Session {
    return this.#session;
  }

  /** Called when the token or role changes (views reload). */
  onSessionChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setSession(session: Session): void {
    this.#session = session;
    if (session.token) localStorage.setItem(TOKEN_KEY, session.token);
    else localStorage.removeItem(TOKEN_KEY);
    if (session.role) localStorage.setItem(ROLE_KEY, session.role);
    else localStorage.removeItem(ROLE_KEY);
    void this.#ws?.dispose();
    this.#ws = undefined;
    for (const l of this.#listeners) l();
  }

  /** A login page can send people back to `/console#access_token=…` (OAuth 2.0 implicit style). */
  #takeTokenFromRedirect(): void {
    const m = /(?:^#|&)access_token=([^&]+)/.exec(location.hash);
    if (!m) return;
    // A new sign-in: the token's own highest role, not a role picked under an earlier token.
    this.setSession({ token: decodeURIComponent(m[1]!), role: null });
    history.replaceState(null, '', location.pathname + '#/history');
  }

  #headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#session.token) h.authorization = `Bearer ${this.#session.token}`;
    if (this.#session.role) h['x-cascade-role'] = this.#session.role;
    return h;
  }

  /** Runs a query or mutation; resolves with `data`, rejects with an ApiError. */
  async request<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    let res: Response;
    try {
      res = await fetch('/graphql', { method: 'POST', headers: this.#headers(), body: JSON.stringify({ query, variables }) });
    } catch {
      throw new ApiError('The gateway cannot be reached. Is it running?', 'network');
    }
    const body = (await res.json().catch(() => null)) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } | null;
    if (res.status === 401) throw new ApiError(body?.errors?.[0]?.message ?? 'Sign in: this gateway needs a token.', 'unauthenticated', 'UNAUTHENTICATED');
    if (res.status === 403) throw new ApiError(body?.errors?.[0]?.message ?? 'Your role may not do this.', 'forbidden', 'FORBIDDEN');
    if (!body) throw new ApiError(`The gateway answered ${res.status} without a GraphQL response.`, 'network');
    const first = body.errors?.[0];
    if (first) {
      const code = first.extensions?.code;
      const kind = code === 'UNAUTHENTICATED' ? 'unauthenticated' : code === 'FORBIDDEN' ? 'forbidden' : 'graphql';
      throw new ApiError(first.message, kind, code);
    }
    return body.data as T;
  }

  /**
   * Subscribes; returns a function that ends the subscription. `onError` gets an ApiError
   * (the subscription has ended then).
   */
  subscribe<T = any>(query: string, variables: Record<string, unknown>, onNext: (data: T) => void, onError: (e: ApiError) => void, onComplete?: () => void): () => void {
    const ws = (this.#ws ??= createClient({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
      lazy: true,
      retryAttempts: 5,
      connectionParams: () => {
        const p: Record<string, string> = {};
        if (this.#session.token) p.authorization = `Bearer ${this.#session.token}`;
        if (this.#session.role) p['x-cascade-role'] = this.#session.role;
        return p;
      },
    }));
    return ws.subscribe<T>(
      { query, variables },
      {
        next: (r) => {
          const first = r.errors?.[0];
          if (first) onError(new ApiError(first.message, 'graphql', (first.extensions as { code?: string } | undefined)?.code));
          else if (r.data) onNext(r.data as T);
        },
        error: (e) => onError(new ApiError(e instanceof Error ? e.message : 'The live connection closed.', 'network')),
        complete: () => onComplete?.(),
      },
    );
  }
}
