import { type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';
import { getMetadataStorage } from 'type-graphql';

/**
 * TypeGraphQL calls every field resolver through one generic path: it builds
 * a resolver-data object, asks its container for the resolver class's
 * instance, runs the middleware chain, then sorts and maps the method's
 * parameter list, all per call. A title page calls field resolvers some
 * seventy times (every id, every accuracy), so that path cost more than the
 * methods themselves (issue 12).
 *
 * A field resolver whose parameters are @Root() and perhaps @Ctx() after it,
 * with no @Authorized roles and no middleware, needs none of it: this points
 * the schema's field at the same method, called directly with the root and
 * the context. Resolvers that take arguments (which
 * TypeGraphQL converts and validates), check roles or use middleware keep
 * TypeGraphQL's path.
 */

/** The parts of TypeGraphQL's field resolver metadata this reads. */
interface FieldResolverMetadata {
  target: new () => Record<string, (...params: unknown[]) => unknown>;
  methodName: string;
  schemaName: string;
  kind: 'internal' | 'external';
  getObjectType?: () => unknown;
  params?: Array<{ kind: string; index: number; propertyName?: string; getType?: unknown }>;
  roles?: unknown[];
  middlewares?: unknown[];
}

interface TypeMetadata {
  target: unknown;
  name: string;
}

/** Marks a resolve function set here, so a test can tell it on the schema served. */
export const DIRECT_CALL = Symbol('directCall');

/**
 * Replaces the resolve of each field whose resolver qualifies (above);
 * returns the fields replaced ("Type.field"). With global middlewares (the
 * buildSchema option), which every field must run, it replaces none.
 */
export function leanFieldResolvers(schema: GraphQLSchema, globalMiddlewares: unknown[]): string[] {
  if (globalMiddlewares.length > 0) return [];
  const storage = getMetadataStorage() as unknown as {
    fieldResolvers: FieldResolverMetadata[];
    objectTypes: TypeMetadata[];
  };
  const instances = new Map<FieldResolverMetadata['target'], Record<string, unknown>>();
  const replaced: string[] = [];
  for (const meta of storage.fieldResolvers) {
    const order = directParameters(meta);
    if (!order) continue;
    const objectClass = meta.getObjectType?.();
    const typeName = storage.objectTypes.find((type) => type.target === objectClass)?.name;
    const type = typeName ? schema.getType(typeName) : undefined;
    const field = isObjectType(type) ? type.getFields()[meta.schemaName] : undefined;
    if (!field) continue;
    let instance = instances.get(meta.target);
    if (!instance) {
      instance = new meta.target();
      instances.set(meta.target, instance);
    }
    field.resolve = directCall(instance, meta.methodName, order);
    replaced.push(`${typeName}.${meta.schemaName}`);
  }
  return replaced;
}

/** The method's parameters in order when they are a plain @Root(), then perhaps @Ctx(); else null. */
function directParameters(meta: FieldResolverMetadata): 'root' | 'root,context' | null {
  // @Authorized() without roles still checks (roles is then []), so any roles at all disqualify.
  if (meta.kind !== 'external' || meta.roles != null || meta.middlewares?.length) return null;
  const params = meta.params ?? [];
  const plain = params.every(
    (param) =>
      (param.kind === 'root' || param.kind === 'context') &&
      param.propertyName == null &&
      param.getType == null,
  );
  if (!plain) return null;
  const order = [...params]
    .sort((a, b) => a.index - b.index)
    .map((param) => param.kind)
    .join();
  return order === 'root' || order === 'root,context' ? order : null;
}

/** The method called with the root, and the context when it declares one. */
function directCall(
  instance: Record<string, unknown>,
  methodName: string,
  order: 'root' | 'root,context',
): GraphQLFieldResolver<unknown, unknown> {
  const method = instance[methodName] as (...params: unknown[]) => unknown;
  const resolve: GraphQLFieldResolver<unknown, unknown> =
    order === 'root'
      ? (root) => method.call(instance, root)
      : (root, _args, context) => method.call(instance, root, context);
  return Object.assign(resolve, { [DIRECT_CALL]: true });
}
