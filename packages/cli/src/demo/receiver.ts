import { createServer, type IncomingMessage } from 'node:http';
import { Alert, decodeJson } from '@keywatch/contracts';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '@keywatch/webhooks';

/** One webhook request the receiver got. */
export interface Delivery {
  /** The destination it was sent to (the path names the tenant: `/hooks/<tenant>`). */
  tenant: string;
  alert: Alert | null;
  verified: boolean;
  /** Why verification failed (when it did). */
  reason?: string;
  receivedAt: number;
}

export interface WebhookReceiver {
  /** Base URL; a tenant's destination is `<url>/hooks/<tenant>`. */
  url: string;
  /** The signing secret the key service returned for `tenant`'s destination. */
  setSecret(tenant: string, secret: string): void;
  deliveries: Delivery[];
  close(): Promise<void>;
}

function rawBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // An alert is a few KiB; anything far larger is not one.
      if (size > 1_048_576) request.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

/**
 * The demo's local webhook receiver: what a security team's endpoint does with Keywatch's
 * deliveries. Each request's `Keywatch-Signature` is checked with the SDK's verifier
 * (`@keywatch/webhooks`, stale timestamps refused) against the destination's secret; verified
 * deliveries answer 204, others 401 (the notifier then retries, as it would for a real receiver).
 */
export async function startWebhookReceiver(onDelivery: (delivery: Delivery) => void): Promise<WebhookReceiver> {
  const secrets = new Map<string, string>();
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    const match = /^\/hooks\/([A-Za-z0-9_.-]+)$/.exec(request.url ?? '');
    if (request.method !== 'POST' || !match) {
      response.writeHead(404).end();
      return;
    }
    const tenant = match[1]!;
    rawBody(request).then(
      (body) => {
        const secret = secrets.get(tenant);
        const check = secret
          ? verifyWebhookSignature({
              header: request.headers[SIGNATURE_HEADER.toLowerCase()],
              rawBody: body,
              secrets: secret,
            })
          : { ok: false as const, message: 'no secret for this destination' };
        const decoded = decodeJson(Alert, body);
        const delivery: Delivery = {
          tenant,
          alert: decoded.ok ? decoded.value : null,
          verified: check.ok,
          reason: check.ok ? undefined : check.message,
          receivedAt: Date.now(),
        };
        deliveries.push(delivery);
        onDelivery(delivery);
        response.writeHead(check.ok ? 204 : 401).end();
      },
      () => response.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    setSecret: (tenant, secret) => void secrets.set(tenant, secret),
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
