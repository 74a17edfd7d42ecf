/**
 * The History view's data: every branch and tag, and the commits reachable from them, fetched page by
 * page along first parents (one `log` per line, batched as aliases of one request) and following
 * merge parents. Only the commits newer than every line's unfetched rest are shown, so the graph of
 * what is shown is complete; "Load more" fetches the next page of every line that has one.
 */
import type { Api } from '../../api.js';
import { NO_ANCESTOR, type GraphCommit } from './layout.js';

export interface Ref {
  name: string;
  type: 'BRANCH' | 'TAG';
  hash: string;
  protected?: boolean;
}

export interface HistoryCommit extends GraphCommit {
  message: string;
  author: string;
  properties: Record<string, unknown>;
  /** The reference whose line this commit was found on (its ref expression is `<via>@<hash>`); null: found by hash. */
  via: string | null;
}

interface Line {
  /** `<ref>@<head>` (pinned, so pages stay put when the ref moves), or `@<hash>` for a merge parent's line. */
  start: string;
  via: string | null;
  cursor: string | null;
  started: boolean;
  hasNext: boolean;
  /** The oldest commit time fetched on this line. */
  oldest: string | null;
}

const COMMIT_FIELDS = 'hash parentHashes message author commitTime properties';

export class HistoryData {
  refs: Ref[] = [];
  defaultBranch = 'main';
  readonly commits = new Map<string, HistoryCommit>();
  #lines: Line[] = [];
  #lineStarts = new Set<string>();

  /** `followHashes`: whether merge parents off the readable refs may be fetched by hash (analyst and up). */
  constructor(
    private readonly api: Api,
    private readonly pageSize: number,
    private readonly followHashes: boolean,
    private readonly readable: (ref: Ref) => boolean,
  ) {}

  /** Lists every reference (and the default branch); adds a line for each head not fetched yet. */
  async loadRefs(): Promise<void> {
    const refs: Ref[] = [];
    let after: string | null = null;
    for (;;) {
      const data: { defaultBranch: { name: string }; references: { nodes: Ref[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await this.api.request(
        `query HistoryRefs($after: String) { defaultBranch { name } references(first: 500, after: $after) { nodes { name type hash ... on Branch { protected } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      this.defaultBranch = data.defaultBranch.name;
      refs.push(...data.references.nodes);
      if (!data.references.pageInfo.hasNextPage) break;
      after = data.references.pageInfo.endCursor;
    }
    const rank = (r: Ref) => (r.name === this.defaultBranch ? 0 : r.type === 'BRANCH' ? 1 : 2);
    this.refs = refs.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
    for (const r of this.refs) {
      if (!this.readable(r) || this.commits.has(r.hash)) continue;
      this.#addLine(`${r.name}@${r.hash}`, r.name);
    }
  }

  #addLine(start: string, via: string | null): void {
    if (this.#lineStarts.has(start)) return;
    this.#lineStarts.add(start);
    this.#lines.push({ start, via, cursor: null, started: false, hasNext: true, oldest: null });
  }

  get hasMore(): boolean {
    return this.#lines.some((l) => l.hasNext);
  }

  /** Fetches the lines not started yet, then the merge parents they lead to. */
  async fill(): Promise<void> {
    for (let round = 0; round < 8; round++) {
      const todo = this.#lines.filter((l) => !l.started && l.hasNext);
      if (!todo.length) return;
      await this.#fetch(todo);
      this.#followMerges();
    }
  }

  /** The next page of every line that has one. */
  async loadMore(): Promise<void> {
    const todo = this.#lines.filter((l) => l.hasNext);
    if (todo.length) await this.#fetch(todo);
    this.#followMerges();
    await this.fill();
  }

  #followMerges(): void {
    if (!this.followHashes) return;
    for (const c of this.commits.values()) {
      for (const p of c.parentHashes.slice(1)) {
        if (p !== NO_ANCESTOR && !this.commits.has(p)) this.#addLine(`@${p}`, null);
      }
    }
  }

  async #fetch(lines: Line[]): Promise<void> {
    const query = `query HistoryLog(${lines.map((_, i) => `$r${i}: String!, $a${i}: String`).join(', ')}, $n: Int) {
      ${lines.map((_, i) => `l${i}: log(ref: $r${i}, first: $n, after: $a${i}) { pageInfo { hasNextPage endCursor } nodes { ${COMMIT_FIELDS} } }`).join('\n')}
    }`;
    const vars: Record<string, unknown> = { n: this.pageSize };
    lines.forEach((l, i) => {
      vars[`r${i}`] = l.start;
      vars[`a${i}`] = l.cursor;
    });
    type Page = { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Omit<HistoryCommit, 'via'>[] };
    let data: Record<string, Page | null>;
    try {
      data = await this.api.request(query, vars);
    } catch (e) {
      if (lines.length === 1) {
        // A reference deleted meanwhile, or one the role may not read: that line ends here.
        lines[0]!.started = true;
        lines[0]!.hasNext = false;
        if ((e as { kind?: string }).kind === 'network') throw e;
        return;
      }
      for (const l of lines) await this.#fetch([l]);
      return;
    }
    lines.forEach((line, i) => {
      const page = data[`l${i}`];
      line.started = true;
      if (!page) {
        line.hasNext = false;
        return;
      }
      line.cursor = page.pageInfo.endCursor;
      line.hasNext = page.pageInfo.hasNextPage;
      for (const n of page.nodes) {
        if (this.commits.has(n.hash)) {
          line.hasNext = false; // joined a line already fetched: the rest is known
          break;
        }
        this.commits.set(n.hash, { ...n, via: line.via });
        line.oldest = n.commitTime;
      }
    });
  }

  /** The commits to draw: those newer than the unfetched rest of every line. */
  visible(): HistoryCommit[] {
    let horizon = '';
    for (const l of this.#lines) if (l.hasNext && l.oldest && l.oldest > horizon) horizon = l.oldest;
    return [...this.commits.values()].filter((c) => c.commitTime >= horizon);
  }

  /** A ref expression naming the commit that the caller may read (`main@<hash>`, else `@<hash>`). */
  expression(hash: string): string {
    const c = this.commits.get(hash);
    const head = this.refs.find((r) => r.hash === hash && r.type === 'BRANCH') ?? this.refs.find((r) => r.hash === hash);
    if (head) return `${head.name}@${hash}`;
    return c?.via ? `${c.via}@${hash}` : `@${hash}`;
  }
}
