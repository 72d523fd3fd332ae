/**
 * Text Postgres cannot store (NUL characters, UTF-16 halves without their pair)
 * is refused up front as BAD_USER_INPUT, in variables and in the document
 * alike, instead of failing deep in a query as an internal error.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, visit, type DocumentNode } from 'graphql';
import { badUserInput, withHttpStatus } from './errors';

/** A NUL, or half of a surrogate pair without the other half. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (text: string) => !UNSTORABLE.test(text);

function badText(value: unknown): boolean {
  if (typeof value === 'string') return !storable(value);
  if (Array.isArray(value)) return value.some(badText);
  if (value && typeof value === 'object') return Object.entries(value).some(([key, v]) => badText(key) || badText(v));
  return false;
}

/** Documents already looked at: Apollo Server hands the same parsed document to every request with the same text. */
const literalVerdicts = new WeakMap<DocumentNode, boolean>();

function badLiteral(document: DocumentNode): boolean {
  const known = literalVerdicts.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    [Kind.STRING]: (node) => {
      if (!storable(node.value)) found = true;
    },
  });
  literalVerdicts.set(document, found);
  return found;
}

export const refuseUnstorableText: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document }) {
        if (badText(request.variables) || badLiteral(document)) {
          throw withHttpStatus(badUserInput('Text must be valid Unicode without NUL characters')); // refused before running: 400
        }
      },
    };
  },
};
