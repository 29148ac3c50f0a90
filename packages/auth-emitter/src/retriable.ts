/**
 * Whether a failed send should be retried (the batch goes back to the buffer) rather than refused
 * (split, then dropped event by event). KafkaJS marks an error `retriable: false` when its own
 * retries ran out (`KafkaJSNumberOfRetriesExceeded`), even though the cause — a broker away, a
 * leader election — is as transient as before: the cause decides.
 */
export function isRetriableSendError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8; depth += 1) {
    if (typeof current !== 'object' || current === null) return true;
    const retriable = 'retriable' in current ? current.retriable : undefined;
    if (retriable !== false) return true;
    const exhausted = 'name' in current && current.name === 'KafkaJSNumberOfRetriesExceeded';
    if (!exhausted || !('cause' in current)) return false;
    current = current.cause;
  }
  return false;
}
