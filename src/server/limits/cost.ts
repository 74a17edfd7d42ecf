/**
 * Operation cost: every selected object field costs 1, and a field taking `first` multiplies the
 * cost of its selection by the page size it asks for (the default page when omitted). So
 * `references(first: 1000) { nodes { name } }` costs about 1,000, while two nested `first: 1000`
 * connections cost about 1,000,000. Checked before execution with the coerced variables;
 * fragment costs are memoised, so a fragment bomb is measured in linear time. A document whose page
 * sizes are all literals is measured once (its cost cannot change).
 */
import {
  Kind,
  getNamedType,
  getOperationAST,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLError,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitError } from './errors.js';

export const DEFAULT_PAGE = 50;

class TooExpensive extends Error {}

export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  max = Infinity,
): number {
  return measure(schema, document, operationName, variables, max).cost;
}

/** The cost, and whether it depends on the variables (a `first: $n`); when not, it is the document's. */
function measure(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  max: number,
): { cost: number; usesVariables: boolean } {
  let usesVariables = false;
  const op = getOperationAST(document, operationName);
  if (!op) return { cost: 0, usesVariables };
  const root = schema.getRootType(op.operation);
  if (!root) return { cost: 0, usesVariables };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, number>();
  const active = new Set<string>();
  let total = 0;

  const pageOf = (node: FieldNode, def: GraphQLField<unknown, unknown>): number => {
    if (!def.args.some((a) => a.name === 'first')) return 1;
    const arg = node.arguments?.find((a) => a.name.value === 'first');
    let n: unknown = DEFAULT_PAGE;
    if (arg?.value.kind === Kind.INT) n = Number(arg.value.value);
    else if (arg?.value.kind === Kind.VARIABLE) {
      usesVariables = true;
      n = variables?.[arg.value.name.value] ?? DEFAULT_PAGE;
    }
    return typeof n === 'number' && Number.isFinite(n) ? Math.max(1, n) : DEFAULT_PAGE;
  };

  const fieldDef = (type: GraphQLCompositeType, name: string) =>
    isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;

  const selectionCost = (set: SelectionSetNode, type: GraphQLCompositeType): number => {
    let cost = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name.startsWith('__')) continue; // __typename is free; introspection has its own switch
        const def = fieldDef(type, name);
        if (!def) continue;
        const named = getNamedType(def.type);
        if (!isCompositeType(named) || !sel.selectionSet) continue; // leaves are free
        cost += 1 + pageOf(sel, def) * selectionCost(sel.selectionSet, named);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const cond = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        cost += selectionCost(sel.selectionSet, isCompositeType(cond) ? cond : type);
      } else {
        cost += fragmentCost(sel.name.value, type);
      }
      if (cost > max) throw new TooExpensive();
    }
    return cost;
  };

  const fragmentCost = (name: string, type: GraphQLCompositeType): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const frag = fragments.get(name);
    if (!frag || active.has(name)) return 0; // unknown or cyclic: validation reports it
    active.add(name);
    const cond = schema.getType(frag.typeCondition.name.value);
    const cost = selectionCost(frag.selectionSet, isCompositeType(cond) ? cond : type);
    active.delete(name);
    memo.set(name, cost);
    return cost;
  };

  try {
    total = selectionCost(op.selectionSet, root);
  } catch (e) {
    if (e instanceof TooExpensive) return { cost: Infinity, usesVariables };
    throw e;
  }
  return { cost: total, usesVariables };
}

type CostArgs = { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: Record<string, unknown> | null };

/** The cost limit as a check: the LIMIT_EXCEEDED error for an operation over `max`, else null. */
export type CostCheck = (args: CostArgs) => GraphQLError | null;

export function costCheck(max: number): CostCheck {
  // The cost of a document whose page sizes are all literals, by operation name. Documents are the
  // parsed objects yoga's parser cache hands out again for the same query text.
  const known = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number>>>();
  const costOf = (args: CostArgs) => {
    let bySchema = known.get(args.schema);
    if (!bySchema) known.set(args.schema, (bySchema = new WeakMap()));
    let byName = bySchema.get(args.document);
    const name = args.operationName ?? '';
    const cached = byName?.get(name);
    if (cached !== undefined) return cached;
    const { cost, usesVariables } = measure(args.schema, args.document, args.operationName, args.variableValues, max);
    if (!usesVariables) {
      if (!byName) bySchema.set(args.document, (byName = new Map()));
      // Operation names come from the request: keep the map small for a document sent with many.
      if (byName.size < 16) byName.set(name, cost);
    }
    return cost;
  };
  return (args) =>
    costOf(args) > max ? limitError(`the operation's estimated cost exceeds the limit of ${max} (connections count as many items as \`first\` asks for)`) : null;
}

/** The check as a plugin (yoga's path and graphql-ws; the direct POST path calls the check itself). */
export function costLimit(check: CostCheck): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const err = check(args as never);
      if (err) setResultAndStopExecution({ errors: [err] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const err = check(args as never);
      if (err) setResultAndStopExecution({ errors: [err] });
    },
  };
}
