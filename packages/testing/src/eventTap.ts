import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { testAmqpUrl } from './testServices';

/** A listener on the system's exchange, straight on the broker, collecting every message. */
export class EventTap {
  readonly messages: ConsumeMessage[] = [];
  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async open(exchange: string, pattern = 'request.#'): Promise<EventTap> {
    const connection = await amqp.connect(testAmqpUrl());
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, pattern);
    const tap = new EventTap(connection, channel);
    // The body copied out: amqplib's content is a slice of an 8 KB read chunk, which it would keep alive per message.
    await channel.consume(queue, (m) => m && tap.messages.push({ ...m, content: Buffer.from(m.content) }), {
      noAck: true,
    });
    return tap;
  }

  bodies(): any[] {
    return this.messages.map((m) => JSON.parse(m.content.toString()));
  }

  /** Resolves once `predicate` holds for the messages so far (polling, bounded). */
  async until(predicate: (bodies: any[]) => boolean, ms = 15_000): Promise<any[]> {
    const deadline = Date.now() + ms;
    while (!predicate(this.bodies())) {
      if (Date.now() > deadline) throw new Error(`condition not met; got ${this.messages.length} messages`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.bodies();
  }

  close() {
    return this.connection.close();
  }
}
