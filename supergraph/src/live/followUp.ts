/**
 * Turns what a subscriber selected on `request` and `changedBy` into one query
 * through the supergraph, so every subgraph's fields resolve (requester from
 * auth, medicine from pyxis…). Built once per subscription; the same printed
 * query for the same selection lets subscribers share one execution per event.
 */
import {
  Kind,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';

export interface FollowUp {
  /** Printed query taking `$__requestId`, `$__changedBy` and `$__withChangedBy`. */
  readonly query: string;
  /** The subscriber's variables the selection uses. */
  readonly variables: Record<string, unknown>;
  /** Response key of `request` in the result. */
  readonly requestKeys: string[];
}

function variable(name: string, type: string): VariableDefinitionNode {
  const nonNull = type.endsWith('!');
  const named = { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: nonNull ? type.slice(0, -1) : type } } as const;
  return {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } },
    type: nonNull ? { kind: Kind.NON_NULL_TYPE, type: named } : named,
  };
}

/** The fields selected directly on RequestStatusChange, fragments expanded. */
function fieldsOf(selectionSet: SelectionSetNode | undefined, info: GraphQLResolveInfo): FieldNode[] {
  return (selectionSet?.selections ?? []).flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return fieldsOf(selection.selectionSet, info);
    return fieldsOf(info.fragments[selection.name.value]?.selectionSet, info);
  });
}

/** Fragments and variables a piece of the document uses, transitively. */
function usedBy(nodes: readonly FieldNode[], info: GraphQLResolveInfo) {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const variables = new Set<string>();
  const walk = (node: FieldNode | FragmentDefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const definition = info.fragments[spread.name.value];
        if (definition && !fragments.has(spread.name.value)) {
          fragments.set(spread.name.value, definition);
          walk(definition);
        }
      },
      Variable(v) {
        variables.add(v.name.value);
      },
    });
  nodes.forEach(walk);
  return { fragments: [...fragments.values()], variables };
}

const rename = (field: FieldNode, name: string, argument: string): FieldNode => ({
  ...field,
  alias: { kind: Kind.NAME, value: field.alias?.value ?? field.name.value },
  name: { kind: Kind.NAME, value: name },
  arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: argument } } }],
});

/** `__visible: request(id: $__requestId) { id }` */
export const VISIBILITY_KEY = '__visible';
const VISIBILITY_PROBE: FieldNode = rename(
  {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: VISIBILITY_KEY },
    name: { kind: Kind.NAME, value: 'request' },
    selectionSet: { kind: Kind.SELECTION_SET, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: 'id' } }] },
  },
  'request',
  '__requestId',
);

export function buildFollowUp(info: GraphQLResolveInfo): FollowUp {
  const fields = fieldsOf(info.fieldNodes[0]?.selectionSet, info);
  const requests = fields.filter((f) => f.name.value === 'request');
  const changedBy = fields.filter((f) => f.name.value === 'changedBy');
  const { fragments, variables } = usedBy([...requests, ...changedBy], info);
  const skipChangedBy = {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'include' },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'if' }, value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__withChangedBy' } } }],
  } as const;
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as never,
        name: { kind: Kind.NAME, value: 'LiveFollowUp' },
        variableDefinitions: [
          variable('__requestId', 'ID!'),
          // Declared only when used: GraphQL refuses unused variables.
          ...(changedBy.length ? [variable('__changedBy', 'ID!'), variable('__withChangedBy', 'Boolean!')] : []),
          ...(info.operation.variableDefinitions ?? []).filter((d) => variables.has(d.variable.name.value)),
        ],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [
            // Always asked: null when the subscriber may not see the request.
            VISIBILITY_PROBE,
            ...requests.map((f) => rename(f, 'request', '__requestId')),
            ...changedBy.map((f) => ({ ...rename(f, 'user', '__changedBy'), directives: [...(f.directives ?? []), skipChangedBy] })),
          ],
        },
      },
      ...fragments,
    ],
  };
  return {
    query: print(document),
    variables: Object.fromEntries([...variables].map((name) => [name, info.variableValues[name]])),
    requestKeys: requests.map((f) => f.alias?.value ?? f.name.value),
  };
}
