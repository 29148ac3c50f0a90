import type { EventProducer, OutgoingMessage } from './producer.js';

/** An EventProducer for unit tests: keeps what was sent per topic. Never used against real engines. */
export class InMemoryProducer implements EventProducer {
  readonly sent = new Map<string, OutgoingMessage[]>();

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.sent.set(topic, [...(this.sent.get(topic) ?? []), ...messages]);
  }

  async close(): Promise<void> {}
}
