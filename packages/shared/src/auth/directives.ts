/**
 * Enforces `@access(anyOf: [[…]])`, the permission rules each subgraph writes in
 * its SDL beside the fields they guard. A rule passes when the viewer holds every
 * scope of at least one inner list. A person holds `person` and `role:<ROLE>`; a
 * service holds the scopes of its token (e.g. `users:read`) and never `person`.
 * Checked before the resolver, or the entity reference resolver, reads any data.
 *
 * (Federation's own `@authenticated`/`@requiresScopes` are for Apollo Router:
 * @apollo/gateway refuses supergraphs that carry them, so this directive stays in
 * the subgraphs, which enforce it themselves.)
 */
import {
  defaultFieldResolver,
  isObjectType,
  Kind,
  type ConstDirectiveNode,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { forbidden, unauthenticated } from '../errors';
import type { Viewer } from './viewer';

/** The SDL each subgraph declares the directive with. */
export const ACCESS_DIRECTIVE = 'access';

/** Alternatives, each a list of scopes all required. */
export type AccessRule = readonly (readonly string[])[];

/** Throws UNAUTHENTICATED (no viewer) or FORBIDDEN unless `viewer` satisfies `rule`. */
export function checkAccess(rule: AccessRule, viewer: Viewer | null | undefined): void {
  if (!viewer) throw unauthenticated();
  if (!rule.some((all) => all.every((scope) => viewer.scopes.has(scope)))) throw forbidden();
}

function accessRuleOf(directives: readonly ConstDirectiveNode[] | undefined): AccessRule | undefined {
  const directive = directives?.find((d) => d.name.value === ACCESS_DIRECTIVE);
  const anyOf = directive?.arguments?.find((a) => a.name.value === 'anyOf')?.value;
  if (!directive) return undefined;
  if (anyOf?.kind !== Kind.LIST) throw new Error(`@${ACCESS_DIRECTIVE} needs anyOf: [[String!]!]!`);
  return anyOf.values.map((inner) =>
    inner.kind === Kind.LIST ? inner.values.map((v) => (v.kind === Kind.STRING ? v.value : '')) : [],
  );
}

type ReferenceResolver = (ref: unknown, ctx: { viewer: Viewer | null }, info: unknown) => unknown;
/** Where @apollo/subgraph 2.x keeps an entity's `__resolveReference` (not on the type itself). */
type SubgraphExtensions = { apollo?: { subgraph?: { resolveReference?: ReferenceResolver } } };

const isEntity = (type: GraphQLObjectType) => !!type.astNode?.directives?.some((d) => d.name.value === 'key');

/** Wraps the resolvers of every guarded field and entity type of `schema` in place. */
export function enforceAccess(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeRule = accessRuleOf(type.astNode?.directives);
    if (typeRule && isEntity(type)) {
      // `_entities` must check too, or anyone can ask which ids exist; a type without a
      // reference resolver would echo the reference, so it gets one that checks first.
      const extensions = type.extensions as SubgraphExtensions;
      const subgraph = ((extensions.apollo ??= {}).subgraph ??= {});
      const resolveReference = subgraph.resolveReference ?? ((ref: unknown) => ref);
      subgraph.resolveReference = (ref, ctx, info) => {
        checkAccess(typeRule, ctx.viewer);
        return resolveReference(ref, ctx, info);
      };
    }
    for (const field of Object.values(type.getFields())) {
      const rules = [typeRule, accessRuleOf(field.astNode?.directives)].filter((r): r is AccessRule => !!r);
      if (rules.length === 0) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, ctx: { viewer: Viewer | null }, info) => {
        for (const rule of rules) checkAccess(rule, ctx.viewer);
        return resolve(source, args, ctx, info);
      };
      const subscribe = field.subscribe;
      if (subscribe) {
        field.subscribe = (source, args, ctx: { viewer: Viewer | null }, info) => {
          for (const rule of rules) checkAccess(rule, ctx.viewer);
          return subscribe(source, args, ctx, info);
        };
      }
    }
  }
  return schema;
}

/**
 * `_service { sdl }` (the subgraph's whole SDL, hidden fields and all) for service
 * callers only: composition reads the checked-in schemas and the gateway loads the
 * supergraph file, so nobody else needs it.
 */
export function serviceSdlForServices(schema: GraphQLSchema): GraphQLSchema {
  const field = schema.getQueryType()?.getFields()._service;
  if (!field) return schema;
  const resolve = field.resolve ?? defaultFieldResolver;
  field.resolve = (source, args, ctx: { viewer: Viewer | null }, info) => {
    if (!ctx.viewer) throw unauthenticated();
    if (ctx.viewer.kind !== 'service') throw forbidden('The subgraph schema is for services');
    return resolve(source, args, ctx, info);
  };
  return schema;
}
