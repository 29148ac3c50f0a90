/** Where the integration tests find the engines, and who provides them. */
export interface EngineEndpoints {
  kafkaBrokers: string[];
  clickhouseUrl: string;
  redisUrl: string;
  source: 'local-stack' | 'testcontainers';
}
