/** Where tests find the machine's Postgres and RabbitMQ (overridable: TEST_DATABASE_URL, TEST_AMQP_URL). */
import { EnvReader } from '@asky/shared';

/** The admin connection tests create their databases with. */
export const testAdminUrl = (): URL =>
  new EnvReader().url('TEST_DATABASE_URL', ['postgresql:', 'postgres:']) ??
  new URL('postgresql://postgres@127.0.0.1:5432/postgres');

/** The broker tests use (the machine's RabbitMQ). */
export const testAmqpUrl = (): string => new EnvReader().string('TEST_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672');
