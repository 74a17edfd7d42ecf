/**
 * The printed schema is committed (schema/schema.graphql) and must match the code; and it must hold
 * the public contract (schema/api-contract.graphql, a copy of the design's contract) for every part built so far.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLNamedType,
  type GraphQLType,
} from 'graphql';
import { schema } from '../../resolvers/index.js';
import { NODE_TYPES } from '../../schema/builder.js';
import { printedSchema } from '../../scripts/print-schema.js';

const root = path.resolve(import.meta.dirname, '../..');
const contractPath = path.join(root, 'schema/api-contract.graphql');

/** Contract parts not built yet (none left). */
const PENDING_TYPES = new Set<string>([]);
const PENDING_FIELDS = new Set<string>([]);

/** Output positions may be stricter than the contract (non-null where it allows null), inputs looser. */
function compatible(ours: GraphQLType, theirs: GraphQLType, position: 'output' | 'input'): boolean {
  if (isNonNullType(theirs)) {
    if (isNonNullType(ours)) return compatible(ours.ofType, theirs.ofType, position);
    return position === 'input' && compatible(ours, theirs.ofType, position);
  }
  if (isNonNullType(ours)) return position === 'output' && compatible(ours.ofType, theirs, position);
  if ('ofType' in theirs || 'ofType' in ours) {
    return 'ofType' in theirs && 'ofType' in ours && compatible(ours.ofType as GraphQLType, theirs.ofType as GraphQLType, position);
  }
  return (ours as GraphQLNamedType).name === (theirs as GraphQLNamedType).name;
}

describe('schema', () => {
  it('schema/schema.graphql matches the schema built from code (run `npm run schema:print`)', () => {
    const committed = fs.readFileSync(path.join(root, 'schema/schema.graphql'), 'utf8');
    expect(committed).toBe(printedSchema());
  });

  it('decodes node ids of exactly the types that implement Node', () => {
    const nodes = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && t.getInterfaces().some((i) => i.name === 'Node')).map((t) => t.name);
    expect([...NODE_TYPES].sort()).toEqual(nodes.sort());
  });

  it('holds every type, field, argument, enum value and union member of the contract built so far', () => {
    expect(fs.existsSync(contractPath), `contract not found at ${contractPath}`).toBe(true);
    const contract = buildSchema(fs.readFileSync(contractPath, 'utf8'));
    const problems: string[] = [];
    for (const theirs of Object.values(contract.getTypeMap())) {
      if (theirs.name.startsWith('__') || PENDING_TYPES.has(theirs.name)) continue;
      const ours = schema.getType(theirs.name);
      if (!ours) {
        problems.push(`missing type ${theirs.name}`);
        continue;
      }
      if (ours.constructor !== theirs.constructor) problems.push(`${theirs.name} is a different kind of type`);
      if (isEnumType(theirs) && isEnumType(ours)) {
        for (const v of theirs.getValues()) if (!ours.getValue(v.name)) problems.push(`missing enum value ${theirs.name}.${v.name}`);
      }
      if (isUnionType(theirs) && isUnionType(ours)) {
        const members = new Set(ours.getTypes().map((t) => t.name));
        for (const m of theirs.getTypes()) if (!members.has(m.name)) problems.push(`union ${theirs.name} lacks ${m.name}`);
      }
      if ((isObjectType(theirs) || isInterfaceType(theirs)) && (isObjectType(ours) || isInterfaceType(ours))) {
        const ifaces = new Set(ours.getInterfaces().map((i) => i.name));
        for (const i of theirs.getInterfaces()) if (!ifaces.has(i.name)) problems.push(`${theirs.name} does not implement ${i.name}`);
        const fields = ours.getFields();
        for (const f of Object.values(theirs.getFields())) {
          const id = `${theirs.name}.${f.name}`;
          if (PENDING_FIELDS.has(id)) continue;
          const mine = fields[f.name];
          if (!mine) {
            problems.push(`missing field ${id}`);
            continue;
          }
          if (!compatible(mine.type, f.type, 'output')) problems.push(`${id}: ${String(mine.type)} vs contract ${String(f.type)}`);
          for (const a of f.args) {
            const arg = mine.args.find((x) => x.name === a.name);
            if (!arg) problems.push(`missing argument ${id}(${a.name})`);
            else if (!compatible(arg.type, a.type, 'input')) problems.push(`${id}(${a.name}): ${String(arg.type)} vs contract ${String(a.type)}`);
          }
        }
      }
      if (isInputObjectType(theirs) && isInputObjectType(ours)) {
        const fields = ours.getFields();
        for (const f of Object.values(theirs.getFields())) {
          const mine = fields[f.name];
          if (!mine) problems.push(`missing input field ${theirs.name}.${f.name}`);
          else if (!compatible(mine.type, f.type, 'input')) problems.push(`${theirs.name}.${f.name}: ${String(mine.type)} vs contract ${String(f.type)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
