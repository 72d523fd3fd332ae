/**
 * What one operation may ask of the gateway (graphql-armor), on HTTP and on
 * graphql-ws alike: abusive documents are refused at validation, before any
 * planning or subgraph call, with `GRAPHQL_VALIDATION_FAILED` (or
 * `BAD_USER_INPUT` for too many tokens). Batched HTTP operations are refused
 * too. The limits leave room for the largest operations our apps send (the
 * dashboard's list, Sandbox's introspection).
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';

export interface OperationLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxTokens: number;
  readonly maxCost: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = { maxDepth: 10, maxAliases: 15, maxDirectives: 20, maxTokens: 2_000, maxCost: 10_000 };

export function operationLimits(limits: OperationLimits, production: boolean) {
  return new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    maxTokens: { n: limits.maxTokens },
    costLimit: { maxCost: limits.maxCost },
    // "Did you mean …" leaks the schema when introspection is off.
    blockFieldSuggestion: { enabled: production },
  }).protect();
}
