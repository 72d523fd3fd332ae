/** An entity of another subgraph, known here by id only; federation resolves the rest. */
export interface Reference {
  readonly id: string;
}

/** The reference for a stored foreign id, or null when there is none. */
export const reference = (id: string | null): Reference | null => (id ? { id } : null);
