import { type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';

/**
 * TypeGraphQL calls every field resolver through one generic path: it builds
 * a resolver-data object, asks its container for the resolver class's
 * instance, runs the middleware chain, then sorts and maps the method's
 * parameter list, all per call. A title page calls field resolvers some
 * seventy times (every id, every accuracy), and that path costs more than the
 * methods themselves: without the direct calls below, the uncached title page
 * took ~18% more server CPU per request (issue 21, measured side by side).
 *
 * So the fields declared here (schema.ts's DIRECT_FIELDS) are answered by
 * calling their method directly, as `method(root, context)`. Only the public
 * schema is read: the coordinates are our own declaration, never
 * TypeGraphQL's metadata, so its next release cannot change what this does.
 * A declared method must take @Root() and perhaps @Ctx() after it, with no
 * @Authorized and no middleware: a direct call skips TypeGraphQL's checks.
 * Arguments are refused here (TypeGraphQL converts and validates them).
 */

/** Method names of R that take at most (root, context): methods with args have more parameters. */
type DirectMethod<R> = {
  [K in keyof R]: R[K] extends (root: never, context: never) => unknown ? K : never;
}[keyof R] &
  string;

/** One field answered by a direct call: where it is in the schema, and the method that answers it. */
export interface DirectField {
  /** "Type.field" in the schema served. */
  coordinate: string;
  resolver: new () => object;
  method: string;
}

/** Declares that `coordinate` is answered by `resolver`'s `method(root, context)`. */
export function directField<R extends object>(
  coordinate: `${string}.${string}`,
  resolver: new () => R,
  method: DirectMethod<R>,
): DirectField {
  return { coordinate, resolver, method };
}

/** Marks a resolve function set here, so a test can tell it on the schema served. */
export const DIRECT_CALL = Symbol('directCall');

/**
 * Points each declared field's resolve at its method, one resolver instance
 * per class (as TypeGraphQL's default container keeps). Throws, naming the
 * coordinate, when the schema has no such field, when the field takes
 * arguments, or when the class has no such method: a wrong declaration fails
 * at start, never serves a field wrongly.
 */
export function callFieldsDirectly(schema: GraphQLSchema, fields: readonly DirectField[]): void {
  const instances = new Map<DirectField['resolver'], Record<string, unknown>>();
  for (const { coordinate, resolver, method } of fields) {
    const [typeName, fieldName] = coordinate.split('.');
    const type = schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (!field) throw new Error(`direct field ${coordinate}: the schema has no such field`);
    if (field.args.length > 0) {
      throw new Error(
        `direct field ${coordinate}: it takes arguments, which TypeGraphQL must convert and validate`,
      );
    }
    let instance = instances.get(resolver);
    if (!instance) {
      instance = new resolver() as Record<string, unknown>;
      instances.set(resolver, instance);
    }
    const answer = instance[method];
    if (typeof answer !== 'function') {
      throw new Error(`direct field ${coordinate}: ${resolver.name} has no method ${method}`);
    }
    field.resolve = directCall(instance, answer as (root: unknown, context: unknown) => unknown);
  }
}

/** The method called with the root and the context (a method declared with the root only ignores it). */
function directCall(
  instance: object,
  method: (root: unknown, context: unknown) => unknown,
): GraphQLFieldResolver<unknown, unknown> {
  const resolve: GraphQLFieldResolver<unknown, unknown> = (root, _args, context) =>
    method.call(instance, root, context);
  return Object.assign(resolve, { [DIRECT_CALL]: true });
}
