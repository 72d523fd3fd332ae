/**
 * The event bus every service talks to: RabbitMQ in production, in process for
 * the embedded default. Both pass one contract test suite.
 */

/** One message handed to a subscriber; settle it exactly once. */
export interface Delivery {
  readonly routingKey: string;
  readonly messageId: string | undefined;
  /** The JSON body, or undefined when the content is not JSON. */
  readonly body: unknown;
  readonly raw: string;
  /** Done: never deliver it again. */
  ack(): void;
  /** Deliver it again later (a passing failure). */
  retry(): void;
  /** Give up on it: it goes to the queue's dead-letter queue. */
  deadLetter(): void;
}

export interface Subscription extends AsyncIterable<Delivery> {
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** A durable queue shared by every replica of a consumer (they share the work). */
  readonly queue: string;
  /** Routing-key patterns (`*` one word, `#` any) bound to the exchange. */
  readonly bindings: readonly string[];
}

export interface EventBus {
  /** Resolves once the broker has confirmed the (persistent) message. */
  publish(routingKey: string, body: object, messageId: string): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** What `queue` dead-lettered. */
  deadLetters(queue: string): Promise<Subscription>;
  /**
   * Moves the messages `queue` dead-lettered back onto `queue` (as they were, each
   * once: those dead-lettered again meanwhile stay), for an operator once the
   * cause is fixed. Resolves with how many were moved.
   */
  redeliverDeadLetters(queue: string): Promise<number>;
  /**
   * A queue of this process's own, removed when it goes: every replica gets every
   * event (the gateway fanning events out to its subscribers). Deliveries need no ack.
   */
  broadcast(bindings: readonly string[]): Promise<Subscription>;
  /** Whether the broker is reachable now (for `/ready`). */
  connected(): boolean;
  close(): Promise<void>;
  /** Shown in logs: which bus this is. */
  readonly description: string;
}

/** The dead-letter queue of `queue`. */
export const deadLetterQueue = (queue: string) => `${queue}.dead`;

/** Whether a topic routing key matches a binding pattern. */
export function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split('.');
  const k = key.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return match(i + 1, j) || (j < k.length && match(i, j + 1));
    return j < k.length && (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

export function parseBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
