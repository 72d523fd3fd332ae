/**
 * `npm run events:watch`: prints every Asky event as it is published (its own
 * exclusive queue on the exchange, removed when it stops). AMQP_URL and
 * EVENTS_EXCHANGE as for the services.
 */
import amqp from 'amqplib';
import { loadEventsConfig, runMain } from '@asky/shared';

runMain(async () => {
  const config = loadEventsConfig(undefined, 'amqp://guest:guest@127.0.0.1:5672');
  const connection = await amqp.connect(config.amqpUrl!.href);
  const channel = await connection.createChannel();
  await channel.assertExchange(config.exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, config.exchange, '#');
  process.stderr.write(`watching ${config.exchange} on ${config.amqpUrl!.host} (Ctrl-C stops)\n`);
  await channel.consume(
    queue,
    (message) => {
      if (message) process.stdout.write(`${message.fields.routingKey} ${message.content.toString()}\n`);
    },
    { noAck: true },
  );
  return { stop: () => connection.close() };
});
