/**
 * Turns what a subscriber selected on `request` and `changedBy` into one query
 * through the supergraph, so every subgraph's fields resolve (requester from
 * auth, medicine from pyxis…), with the change itself read from the request
 * service's record of it (`Request.change(eventId)`), never from the event. Built once per subscription; the same printed
 * query for the same selection lets subscribers share one execution per event.
 */
import {
  Kind,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type NameNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';

export interface FollowUp {
  /** Printed query taking `$__requestId` and `$__eventId`. */
  readonly query: string;
  /** The subscriber's variables the selection uses. */
  readonly variables: Record<string, unknown>;
  /** Response key of `request` in the result. */
  readonly requestKeys: string[];
  /** Response keys of `changedBy`, read inside the recorded change. */
  readonly changedByKeys: string[];
}

function variable(name: string, type: string): VariableDefinitionNode {
  const nonNull = type.endsWith('!');
  const named = {
    kind: Kind.NAMED_TYPE,
    name: { kind: Kind.NAME, value: nonNull ? type.slice(0, -1) : type },
  } as const;
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
  arguments: [
    {
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: 'id' },
      value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: argument } },
    },
  ],
});

/** Response keys of what every follow-up asks besides the subscriber's selection. */
export const VISIBILITY_KEY = '__visible';
export const CHANGE_KEY = '__change';

const field = (name: string, selections?: readonly FieldNode[], alias?: string): FieldNode => ({
  kind: Kind.FIELD,
  ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}),
  name: { kind: Kind.NAME, value: name },
  ...(selections ? { selectionSet: { kind: Kind.SELECTION_SET, selections } } : {}),
});

/**
 * `__visible: request(id: $__requestId) { id kind priority unit assignee { id }
 * __change: change(eventId: $__eventId) { type previousStatus status at
 * escalationLevel changedBy {…} } }`: null when the subscriber may not read the
 * request, `__change` null when the event names no change the request service
 * recorded (a forged one). The subscriber's `changedBy` selections ride in it.
 */
function visibilityProbe(changedBy: readonly FieldNode[]): FieldNode {
  const change: FieldNode = {
    ...field(
      'change',
      [
        field('type'),
        field('previousStatus'),
        field('status'),
        field('at'),
        field('escalationLevel'),
        ...changedBy.map((f): FieldNode => ({
          ...f,
          alias: { kind: Kind.NAME, value: f.alias?.value ?? f.name.value } as NameNode,
        })),
      ],
      CHANGE_KEY,
    ),
    arguments: [
      {
        kind: Kind.ARGUMENT,
        name: { kind: Kind.NAME, value: 'eventId' },
        value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: '__eventId' } },
      },
    ],
  };
  return rename(
    field(
      'request',
      [field('id'), field('kind'), field('priority'), field('unit'), field('assignee', [field('id')]), change],
      VISIBILITY_KEY,
    ),
    'request',
    '__requestId',
  );
}

export function buildFollowUp(info: GraphQLResolveInfo): FollowUp {
  const fields = fieldsOf(info.fieldNodes[0]?.selectionSet, info);
  const requests = fields.filter((f) => f.name.value === 'request');
  const changedBy = fields.filter((f) => f.name.value === 'changedBy');
  const { fragments, variables } = usedBy([...requests, ...changedBy], info);
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as never,
        name: { kind: Kind.NAME, value: 'LiveFollowUp' },
        variableDefinitions: [
          variable('__requestId', 'ID!'),
          variable('__eventId', 'ID!'),
          ...(info.operation.variableDefinitions ?? []).filter((d) => variables.has(d.variable.name.value)),
        ],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          // Always asked: null when the subscriber may not see the request.
          selections: [visibilityProbe(changedBy), ...requests.map((f) => rename(f, 'request', '__requestId'))],
        },
      },
      ...fragments,
    ],
  };
  return {
    query: print(document),
    variables: Object.fromEntries([...variables].map((name) => [name, info.variableValues[name]])),
    requestKeys: requests.map((f) => f.alias?.value ?? f.name.value),
    changedByKeys: changedBy.map((f) => f.alias?.value ?? f.name.value),
  };
}
