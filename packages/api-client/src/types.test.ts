import type { AlertStatus as StoredAlertStatus } from '@keywatch/alerts';
import type {
  Alert,
  AlertAction as ContractAlertAction,
  AlertType as ContractAlertType,
  KeyEnvironment as ContractEnvironment,
  KeyState as ContractKeyState,
  KeyType as ContractKeyType,
  Severity as ContractSeverity,
} from '@keywatch/contracts';
import type { AuditEntry as StoredAuditEntry, KeyRecord, TriggerPolicy as StoredPolicy } from '@keywatch/keystore';
import type { Delivery, Webhook } from '@keywatch/webhooks';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  AlertAction,
  AlertStatus,
  AlertType,
  ApiAlert,
  ApiDelivery,
  ApiKey,
  ApiWebhook,
  AuditEntry,
  KeyEnvironment,
  KeyState,
  KeyType,
  Severity,
  TriggerPolicy,
} from './types.js';

type Flat<T> = { [K in keyof T]: T[K] };

// The wire types are written out (so that browser code can import them without zod or node:*);
// these checks fail the typecheck when a record the services answer from drifts from them.
describe('API types match the records the services answer from', () => {
  it('enumerations', () => {
    expectTypeOf<KeyType>().toEqualTypeOf<ContractKeyType>();
    expectTypeOf<KeyEnvironment>().toEqualTypeOf<ContractEnvironment>();
    expectTypeOf<KeyState>().toEqualTypeOf<ContractKeyState>();
    expectTypeOf<Severity>().toEqualTypeOf<ContractSeverity>();
    expectTypeOf<AlertType>().toEqualTypeOf<ContractAlertType>();
    expectTypeOf<AlertAction>().toEqualTypeOf<ContractAlertAction>();
    expectTypeOf<AlertStatus>().toEqualTypeOf<StoredAlertStatus>();
  });

  it('a key is the stored record without its version', () => {
    type Shown = Omit<KeyRecord, 'version'>;
    expectTypeOf<Shown>().toExtend<ApiKey>();
    expectTypeOf<keyof ApiKey>().toEqualTypeOf<keyof Shown>();
  });

  it('audit entries, policies, destinations and deliveries are the stored records', () => {
    expectTypeOf<StoredAuditEntry>().toExtend<AuditEntry>();
    expectTypeOf<keyof AuditEntry>().toEqualTypeOf<keyof StoredAuditEntry>();
    expectTypeOf<Flat<StoredPolicy & { tenant_id: string }>>().toEqualTypeOf<TriggerPolicy>();
    expectTypeOf<Webhook>().toEqualTypeOf<ApiWebhook>();
    expectTypeOf<Delivery>().toEqualTypeOf<ApiDelivery>();
  });

  it('an alert of the feed is the alert contract plus count, updated_at and status', () => {
    type Feed = Alert & {
      count: number;
      updated_at: string;
      status: AlertStatus;
      status_actor: string | null;
      status_updated_at: string | null;
    };
    expectTypeOf<Feed>().toExtend<ApiAlert>();
    expectTypeOf<keyof ApiAlert>().toEqualTypeOf<keyof Feed>();
  });
});
