/**
 * `npm run events:redrive [-- QUEUE]`: moves what a consumer's queue dead-lettered
 * (default `pyxis.stock`) back onto it, once the cause is fixed, and prints how
 * many. AMQP_URL, EVENTS_EXCHANGE and EVENTS_QUEUE_PREFIX as for the services.
 */
import { DEFAULT_AMQP_URL, loadEventsConfig, RabbitBus } from '@asky/shared';

async function main(): Promise<void> {
  const config = loadEventsConfig(undefined, DEFAULT_AMQP_URL);
  const queue = `${config.queuePrefix}${process.argv[2] ?? 'pyxis.stock'}`;
  const bus = await RabbitBus.connect({ url: config.amqpUrl!.href, exchange: config.exchange });
  try {
    if (!bus.connected())
      throw new Error(
        `${bus.description} does not answer (${bus.lastFailure?.message ?? 'no connection'}): check AMQP_URL`,
      );
    const moved = await bus.redeliverDeadLetters(queue);
    process.stdout.write(`moved ${moved} dead-lettered message(s) back onto ${queue}\n`);
  } finally {
    await bus.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`events:redrive failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
