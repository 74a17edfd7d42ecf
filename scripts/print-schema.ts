/** Prints the schema built from code to schema/schema.graphql (`npm run schema:print`). */
import fs from 'node:fs';
import { printSchema, lexicographicSortSchema } from 'graphql';
import { schema } from '../resolvers/index.js';

export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = new URL('../schema/schema.graphql', import.meta.url);
  fs.writeFileSync(out, printedSchema());
  console.log(`wrote ${out.pathname}`);
}
