/**
 * A result union shared by several mutations (merge/cherryPick, createTable/registerTable,
 * appendRows/overwriteRows). The errors plugin makes one union per field, so shared ones are built
 * here; caught domain errors are wrapped the way the plugin wraps them (graphql-js would treat a bare
 * Error instance as thrown). Error classes are named as their GraphQL types.
 */
import { wrapOrThrow } from '@pothos/plugin-errors';
import type { ObjectRef, UnionRef } from '@pothos/core';
import { builder } from '../schema/builder.js';
import { DomainError, Forbidden } from '../src/domain/errors.js';

/**
 * scope-auth's `unauthorizedResolver` for fields typed with a shared union: the denial becomes the
 * union's Forbidden member (the errors plugin does this itself only for fields it builds unions for).
 */
export function deniedAsResult(_parent: unknown, _args: unknown, _ctx: unknown, _info: unknown, error: Error): never {
  return wrapOrThrow(error instanceof DomainError ? error : new Forbidden('not allowed for your role'), [Forbidden]) as never;
}

type SchemaTypesOf<B> = B extends PothosSchemaTypes.SchemaBuilder<infer S> ? S : never;
type ErrorClass = abstract new (...args: never[]) => DomainError;

export function sharedResultUnion<T extends object>(
  name: string,
  // Pothos object refs; typed loosely because their shapes differ per union member.
  success: ObjectRef<any, any>,
  errorTypes: ObjectRef<any, any>[],
  errorClasses: ErrorClass[],
) {
  const union = builder.unionType(name, {
    types: [success, ...errorTypes],
    resolveType: (v) => {
      const cls = (v as object).constructor?.name;
      return cls && cls !== 'Object' ? cls : success.name;
    },
  });
  const wrap = async (work: Promise<T>): Promise<T> => {
    try {
      return await work;
    } catch (e) {
      return wrapOrThrow(e, errorClasses as never) as T;
    }
  };
  return { union: union as unknown as UnionRef<SchemaTypesOf<typeof builder>, T, T>, wrap };
}
