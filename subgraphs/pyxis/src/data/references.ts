/** An entity of another subgraph (a request, a person), known here by id; federation resolves the rest. */
export interface Reference {
  readonly id: string;
}
