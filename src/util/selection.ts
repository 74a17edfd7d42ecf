/**
 * Whether a GraphQL field's selection asks for a subfield (through inline fragments and named
 * fragment spreads too), so a resolver can skip work nobody asked for (e.g. rows' totalCount).
 */
import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

export function selectsField(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, name: string): boolean {
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === 'Field') return s.name.value === name;
      if (s.kind === 'InlineFragment') return walk(s.selectionSet);
      const frag = s.name.value;
      if (seen.has(frag)) return false;
      seen.add(frag);
      return walk(info.fragments[frag]?.selectionSet);
    });
  return info.fieldNodes.some((f) => walk(f.selectionSet));
}
