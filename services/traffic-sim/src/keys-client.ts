import { createKeyServiceClient as createAdminClient, type CreateKeyRequest } from '@keywatch/api-client';

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
  create(body: CreateKeyRequest): Promise<SimKey>;
  transition(id: string, action: 'revoke' | 'deactivate'): Promise<void>;
}

export function createKeyServiceClient(baseUrl: string, rootKey: string): KeyServiceClient {
  const admin = createAdminClient({ baseUrl, apiKey: rootKey });
  return {
    async create(body) {
      const { key, secret } = await admin.createKey(body);
      return { id: key.id, secret, tenant: key.tenant_id, type: key.type, scopes: key.scopes };
    },
    async transition(id, action) {
      await admin.transitionKey(id, action, { reason: 'traffic simulator scenario' });
    },
  };
}
