import type { LookupAddress, LookupOneOptions } from 'node:dns';
import type { ResolvedAddress } from '@keywatch/webhooks';
import { Agent, request } from 'undici';

export interface PostOptions {
  url: URL;
  /** The address the SSRF check validated: the connection goes there and nowhere else. */
  address: ResolvedAddress;
  body: string;
  headers: Record<string, string>;
  /** Connect, response headers and body, each. */
  timeoutMs: number;
}

export type PostResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/**
 * POSTs `body` to `url` over a connection to `address` only: the agent's `lookup` answers with the
 * validated address whatever the host name, so a DNS answer that changed after the check (DNS
 * rebinding) cannot redirect the request. TLS still verifies the certificate for the URL's host
 * name (SNI and verification use the host, not the address). Redirects are not followed (a 3xx is
 * a failure), so a receiver cannot bounce the request to an internal address either.
 */
export async function postPinned(options: PostOptions): Promise<PostResult> {
  const { address } = options;
  const agent = new Agent({
    connect: {
      timeout: options.timeoutMs,
      lookup: ((
        _host: string,
        lookupOptions: LookupOneOptions & { all?: boolean },
        callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
      ) => {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- Node's lookup contract allows all: true; the declared type is narrower
        if (lookupOptions.all) callback(null, [{ address: address.address, family: address.family }]);
        else callback(null, address.address, address.family);
      }) as never,
    },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  try {
    const response = await request(options.url, {
      method: 'POST',
      dispatcher: agent,
      headers: options.headers,
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs * 2),
    });
    // The receiver's answer is not used; reading at most a little of it frees the connection.
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true, status: response.statusCode };
    return { ok: false, status: response.statusCode, error: `the receiver answered ${response.statusCode}` };
  } catch (error) {
    const e = error as { code?: string; cause?: { code?: string }; message?: string };
    return { ok: false, status: null, error: `request failed: ${e.code ?? e.cause?.code ?? e.message ?? 'error'}` };
  } finally {
    await agent.close().catch(() => undefined);
  }
}
