// Validates GraphQL SDL with graphql-js, the reference implementation:
//   node validate-schema.mjs FILE...
// The files are read as one document. buildSchema refuses what gqlparser
// lets through, such as `extend type Mutation` with no `type Mutation`;
// assertValidSchema then checks the type system rules. Prints the number of
// types on success, the error and exit code 1 otherwise.
import { readFileSync } from 'node:fs';
import { buildSchema, assertValidSchema } from 'graphql';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node validate-schema.mjs FILE...');
  process.exit(2);
}
try {
  const sdl = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  const schema = buildSchema(sdl);
  assertValidSchema(schema);
  console.log(`valid: ${Object.keys(schema.getTypeMap()).length} types`);
} catch (err) {
  console.error(`invalid: ${err.message}`);
  process.exit(1);
}
