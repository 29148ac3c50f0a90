export { createKafka, type KafkaSettings } from './client.js';
export { createProducer, type EventProducer, type OutgoingMessage } from './producer.js';
export {
  createConsumerRunner,
  type BatchHandler,
  type ConsumedBatch,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
} from './consumer.js';
export { toDeadLetter, DLQ_HEADERS, type SourceMessage } from './dead-letter.js';
export { provisionTopics, type TopicDefinition, type ProvisionOptions, type ProvisionResult } from './topics.js';
export { loadTopicDefinitions } from './definitions.js';
export { InMemoryProducer } from './in-memory.js';
