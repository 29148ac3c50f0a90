/** A key as the simulator uses it: id, secret (held in memory only), tenant, kind. */
export interface SimKey {
  id: string;
  secret: string;
  tenant: string;
  type: 'secret' | 'publishable';
  scopes: string[];
}

/** The few admin calls the simulator makes (docs/contracts.md#key-service), as the root key. */
export interface KeyServiceClient {
  create(body: Record<string, unknown>): Promise<SimKey>;
  transition(id: string, action: 'revoke' | 'deactivate'): Promise<void>;
}

export function createKeyServiceClient(baseUrl: string, rootKey: string): KeyServiceClient {
  async function call(method: string, path: string, body: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(new URL(path, baseUrl), { method, headers: { authorization: `Bearer ${rootKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) throw new Error(`key service ${method} ${path}: ${response.status} ${JSON.stringify(json.error ?? json)}`);
    return json;
  }
  return {
    async create(body) {
      const json = (await call('POST', '/v1/keys', body)) as { key: { id: string; tenant_id: string; type: 'secret' | 'publishable'; scopes: string[] }; secret: string };
      return { id: json.key.id, secret: json.secret, tenant: json.key.tenant_id, type: json.key.type, scopes: json.key.scopes };
    },
    async transition(id, action) {
      await call('POST', `/v1/keys/${id}/${action}`, { reason: 'traffic simulator scenario' });
    },
  };
}
