/**
 * How Asky's live endpoints (the gateway's and the request subgraph's graphql-ws)
 * close a socket, the same at both.
 */
export const LIVE_CLOSE = {
  /**
   * No token, a bad one, or it expired: reconnect with a fresh token. 4403, as the
   * protocol recommends for refusing authentication, and because graphql-ws'
   * client treats 4401 as final: with `connectionParams` a function returning a
   * fresh token, it reconnects by itself.
   */
  UNAUTHORIZED: 4403,
  /** A service token, or an account that may no longer subscribe (deactivated, re-roled, owing a password change). */
  FORBIDDEN: 4403,
  /** Asky's own (graphql-ws uses 4408 for its init timeout): the subscriber stopped reading updates. */
  TOO_SLOW: 4413,
  /** Past the connections one person may hold. */
  TOO_MANY_CONNECTIONS: 4429,
  /** WebSocket "try again later": auth could not check the account now. */
  TRY_AGAIN_LATER: 1013,
} as const;
