/**
 * How Asky's live endpoint (the gateway's graphql-ws) closes a socket: only with
 * codes graphql-ws' client retries by itself, with back-off (it treats 4400,
 * 4401, 4406, 4409, 4429, 4500… as final, whatever `shouldRetry` says).
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
  /** Past the connections one person may hold: WebSocket "try again later", retried (4429 would end the client for good). */
  TOO_MANY_CONNECTIONS: 1013,
  /** WebSocket "try again later": auth could not check the account now. */
  TRY_AGAIN_LATER: 1013,
} as const;
