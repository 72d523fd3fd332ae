/**
 * What one operation may ask of any Asky process — the gateway and every
 * subgraph enforce the same limits, so a caller that skips the gateway gets no
 * more. Depth, aliases and directives are graphql-armor's rules; tokens are
 * counted by graphql's own parser (armor's token plugin throws from a hook,
 * which Apollo answers with HTTP 500); the cost is
 * graphql-query-complexity's over the schema, so variables count and every list
 * has a weight: its `first`/`last`, the number of ids or representations it is
 * asked for, or `defaultListSize` (a Relay connection weighs as the list it pages). Over a limit: `GRAPHQL_VALIDATION_FAILED`,
 * HTTP 400, before any resolver runs.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import { LRUCache } from 'lru-cache';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isLeafType,
  isListType,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';

export interface OperationLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxTokens: number;
  readonly maxCost: number;
  /** The weight of a list whose size the operation does not bound (no `first`). */
  readonly defaultListSize: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 2_000,
  maxCost: 10_000,
  defaultListSize: 10,
};

/** Weights as graphql-armor's cost limit had them: an object 2, a scalar 1, each level below × 1.5. */
const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;

/** A PNG QR code costs CPU by its area: one unit per 64 × 64 pixels, ten for SVG (cheap at any size). */
function qrCodeCost(args: Record<string, unknown>): number {
  if (args.format === 'SVG') return 10;
  // Sizes past the largest one are refused by the field itself, with a clearer error.
  const size = typeof args.size === 'number' ? Math.min(args.size, 1024) : 256;
  return Math.ceil((size / 64) ** 2) * 2;
}

/** Arguments that bound a list by a count, and by the ids they name. */
const COUNT_ARGUMENTS = ['first', 'last'] as const;
const ID_LIST_ARGUMENTS = ['ids', 'representations'] as const;
/** The only arguments the cost reads (with @skip/@include's `if`): a variable bound to another cannot change it. */
const PRICED_ARGUMENTS = new Set<string>([...COUNT_ARGUMENTS, ...ID_LIST_ARGUMENTS, 'format', 'size', 'if']);

/** How many items a list field may return, as far as its arguments tell. */
function listSize(args: Record<string, unknown>, fallback: number): number {
  for (const name of COUNT_ARGUMENTS) if (typeof args[name] === 'number') return Math.max(1, args[name] as number);
  for (const name of ID_LIST_ARGUMENTS)
    if (Array.isArray(args[name])) return Math.max(1, (args[name] as unknown[]).length);
  return fallback;
}

/** The variables of a document bound (anywhere in a value) to an argument the cost reads. */
function pricedVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(argument) {
      if (!PRICED_ARGUMENTS.has(argument.name.value)) return false;
      visit(argument.value, { Variable: (v) => void names.add(v.name.value) });
      return false;
    },
  });
  return [...names];
}

/** What of a priced variable's value the cost can depend on: a list's length, any other value whole (unset is not null: a default may apply). */
const pricedPart = (value: unknown) =>
  value === undefined ? { unset: true } : Array.isArray(value) ? { length: value.length } : value;

/**
 * Operations' costs already computed, by schema, document, operation and the
 * values of its priced variables: Apollo hands the same parsed document for the
 * same query text, and a subgraph's entity fetches or a ward's dashboards send
 * the same few documents all day with other ids. The pass over the schema
 * showed in every process's profile (bench/README.md).
 */
class KnownCosts {
  private readonly ids = new WeakMap<object, number>();
  private readonly priced = new WeakMap<DocumentNode, string[]>();
  private readonly costs = new LRUCache<string, number>({ max: 10_000 });
  private next = 0;

  key({ schema, document, variables, operationName }: OperationCost): string {
    let names = this.priced.get(document);
    if (!names) this.priced.set(document, (names = pricedVariables(document)));
    const values = names.length ? JSON.stringify(names.map((name) => pricedPart(variables?.[name]))) : '';
    return `${this.idOf(schema)}|${this.idOf(document)}|${operationName ?? ''}|${values}`;
  }

  get(key: string): number | undefined {
    return this.costs.get(key);
  }

  set(key: string, cost: number): void {
    this.costs.set(key, cost);
  }

  private idOf(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) this.ids.set(object, (id = this.next++));
    return id;
  }
}

/** A Relay connection's type: its `first` sizes it, so its `edges` list is counted once. */
const isConnection = (name: string) => name.endsWith('Connection');

function estimator(defaultListSize: number): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    const own = isLeafType(getNamedType(field.type)) ? SCALAR_COST : OBJECT_COST + DEPTH_FACTOR * childComplexity;
    const expensive = field.name === 'qrCode' ? qrCodeCost(args) : 0;
    let times = 1;
    if (isConnection(getNamedType(field.type).name)) times = listSize(args, defaultListSize);
    else if (isListType(getNullableType(field.type)))
      times = isConnection(type.name) && field.name === 'edges' ? 1 : listSize(args, defaultListSize);
    return (own + expensive) * times;
  };
}

const refused = (message: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, {
    extensions: { ...extensions, code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
  });

export interface OperationCost {
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
  readonly variables?: Record<string, unknown> | null;
  readonly operationName?: string | null;
}

export interface OperationGuard {
  /** For Apollo Server: the cost limit (which needs the variables), field suggestions hidden in production. */
  readonly plugins: ApolloServerPlugin[];
  /** For Apollo Server: the token limit. */
  readonly parseOptions: { readonly maxTokens: number };
  /** Depth, aliases, directives (and field suggestions in production): for Apollo and graphql-ws alike. */
  readonly validationRules: ValidationRule[];
  /** The operation's cost; throws `GRAPHQL_VALIDATION_FAILED` over the limit. */
  checkCost(operation: OperationCost): number;
  /** For graphql-ws' `subscribe`: the result refusing an operation over the cost limit, or undefined. */
  costRefusal(operation: OperationCost): { errors: GraphQLError[] } | undefined;
}

export function operationGuard(limits: OperationLimits = DEFAULT_OPERATION_LIMITS, production = false): OperationGuard {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    // "Did you mean …" leaks the schema when introspection is off.
    blockFieldSuggestion: { enabled: production },
  }).protect();
  const estimators = [estimator(limits.defaultListSize)];
  const known = new KnownCosts();
  const checkCost = (operation: OperationCost): number => {
    const { schema, document, variables, operationName } = operation;
    const key = known.key(operation);
    let cost = known.get(key);
    if (cost !== undefined) return cost; // only costs within the limit are kept
    try {
      cost = getComplexity({
        schema,
        query: document,
        variables: variables ?? {},
        operationName: operationName ?? undefined,
        estimators,
      });
    } catch {
      return 0; // variables that do not coerce: execution refuses them with its own error
    }
    if (cost > limits.maxCost) {
      throw refused(
        `Query cost limit of ${limits.maxCost} exceeded, found ${Math.ceil(cost)}: ask for smaller pages or fewer fields`,
        { cost: Math.ceil(cost), maxCost: limits.maxCost },
      );
    }
    known.set(key, cost);
    return cost;
  };
  const costPlugin: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName }) {
          checkCost({ schema, document, variables: request.variables, operationName });
        },
      };
    },
  };
  const costRefusal = (operation: OperationCost) => {
    try {
      checkCost(operation);
      return undefined;
    } catch (err) {
      if (err instanceof GraphQLError) return { errors: [err] };
      throw err;
    }
  };
  return {
    plugins: [...(armor.plugins as ApolloServerPlugin[]), costPlugin],
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: armor.validationRules as ValidationRule[],
    checkCost,
    costRefusal,
  };
}

/** graphql's parser refusing a document over `maxTokens` (graphql 16 spells it "more that"). */
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens/;

/** A parse error that is the token limit, reported as a limit like the others rather than as bad syntax. */
export function tokenLimitMessage(parseError: string): string | undefined {
  const limit = TOKEN_LIMIT.exec(parseError)?.[1];
  return limit ? `Token limit of ${limit} exceeded: send a smaller document` : undefined;
}
