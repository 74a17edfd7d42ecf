/** What the Playground view hands the lazily loaded GraphiQL bundle (graphiql-app.ts), and what it gets back. */
export interface PlaygroundOptions {
  /** Sent as `Authorization: Bearer …` on HTTP and in graphql-ws's connection parameters. */
  token: string | null;
  /** Sent as `x-cascade-role`; null: the token's highest role. */
  role: string | null;
  theme: 'light' | 'dark';
  /** The query of the first tab when GraphiQL has none saved. */
  defaultQuery: string;
}

export interface PlaygroundHandle {
  /** The console's theme changed. */
  setTheme(theme: 'light' | 'dark'): void;
  unmount(): void;
}

/** The module /console/playground.js. */
export interface PlaygroundModule {
  mountPlayground(el: HTMLElement, options: PlaygroundOptions): PlaygroundHandle;
}
