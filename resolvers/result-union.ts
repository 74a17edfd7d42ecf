/**
 * Result unions (API.md): a success type and the domain error classes a mutation can answer with.
 * Every mutation's union is made here, by name, and a union can serve several fields
 * (merge/cherryPick, createTable/registerTable, appendRows/overwriteRows, startRun/retryRun): the
 * errors plugin's `errors:` option makes one union per field, so it is not used for them. Errors are
 * caught and wrapped the way the plugin wraps them (graphql-js would treat a bare Error instance as
 * thrown); an error of a class the union does not name stays a GraphQL error.
 */
import { errorTypeMap, wrapOrThrow } from '@pothos/plugin-errors';
import type { ObjectRef, UnionRef } from '@pothos/core';
import { builder } from '../schema/builder.js';
import { DomainError, Forbidden } from '../src/domain/errors.js';
import { errorTypeOf, type ErrorClass } from './errors.js';

/**
 * scope-auth's `unauthorizedResolver` for fields typed with a result union: the denial becomes the
 * union's Forbidden member.
 */
export function deniedAsResult(_parent: unknown, _args: unknown, _ctx: unknown, _info: unknown, error: Error): never {
  return wrapOrThrow(error instanceof DomainError ? error : new Forbidden('not allowed for your role'), [Forbidden]) as never;
}

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer S> ? S : never;

/**
 * `resultUnion('WriteResult', WriteSuccess, [SchemaMismatch, ...common])`: the union, and `wrap`,
 * which turns a rejection with one of the named error classes into that union member.
 */
export function resultUnion<T extends object>(
  name: string,
  // Typed loosely: success shapes differ per union (the union's own type is T).
  success: ObjectRef<any, any>,
  errors: readonly ErrorClass[],
) {
  const errorTypeNames = new Map<unknown, string>(errors.map((cls) => [cls, errorTypeOf(cls).name]));
  const successName = success.name;
  const union = builder.unionType(name, {
    types: [success, ...errors.map(errorTypeOf)],
    // wrapOrThrow records the class it matched for the wrapped error (as the errors plugin's own unions read it).
    resolveType: (v) => errorTypeNames.get(errorTypeMap.get(v as object)) ?? successName,
  });
  const classes = [...errors] as (new (...args: never[]) => DomainError)[];
  const wrap = async (work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (e) {
      return wrapOrThrow(e, classes) as T;
    }
  };
  return { union: union as unknown as UnionRef<Types, T, T>, wrap };
}
