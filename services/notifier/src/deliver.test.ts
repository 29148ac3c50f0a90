import { describe, expect, it } from 'vitest';
import { postPinned } from './deliver.js';
import { startTestReceiver } from './testing.js';

describe('postPinned', () => {
  it('connects to the validated address whatever the host name resolves to (DNS is not asked again)', async () => {
    const receiver = await startTestReceiver();
    try {
      const port = new URL(receiver.url).port;
      // `.invalid` never resolves (RFC 2606): success proves the pinned address was used.
      const result = await postPinned({
        url: new URL(`http://hooks.keywatch.invalid:${port}/hook`),
        address: { address: '127.0.0.1', family: 4 },
        body: '{"a":1}',
        headers: { 'content-type': 'application/json' },
        timeoutMs: 5000,
      });
      expect(result).toEqual({ ok: true, status: 200 });
      expect(receiver.requests[0]?.headers.host).toBe(`hooks.keywatch.invalid:${port}`);
      expect(receiver.requests[0]?.rawBody).toBe('{"a":1}');
    } finally {
      await receiver.close();
    }
  });

  it('treats redirects as failures (never followed) and times out slow receivers', async () => {
    const receiver = await startTestReceiver();
    try {
      const target = {
        url: new URL(receiver.url),
        address: { address: '127.0.0.1', family: 4 as const },
        body: '{}',
        headers: {},
      };
      receiver.setStatus(307);
      expect(await postPinned({ ...target, timeoutMs: 5000 })).toMatchObject({ ok: false, status: 307 });
      receiver.setStatus(200);
      receiver.setDelay(1500);
      expect(await postPinned({ ...target, timeoutMs: 300 })).toMatchObject({
        ok: false,
        status: null,
        error: expect.stringMatching(/request failed/),
      });
    } finally {
      await receiver.close();
    }
  });
});
