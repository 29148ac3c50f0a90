import type { AlertType, AuthEvent, Severity } from '@keywatch/contracts';

/** One labelled scenario: its events, and what a right detector says about its subject. */
export interface Scenario {
  name: string;
  /** `attack`: must raise `expect` on `subject`; `benign`: must raise nothing on `subject`. */
  label: 'attack' | 'benign';
  expect?: AlertType;
  /** The key id or IP the scenario is about. */
  subject: string;
  /** Event time the attack began (time-to-detect is measured from it). */
  attackStart?: number;
  events: AuthEvent[];
  /**
   * What the scenario owns, when more than `subject`: an alert naming one of these keys, a tenant
   * alert (no key) of one of these tenants, or an IP alert (no tenant, no key) of one of these IPs
   * is the scenario's. Without it, an alert is the scenario's when its key (else its IP) is `subject`.
   */
  scope?: { keys?: string[]; tenants?: string[]; ips?: string[] };
  /** Benign only: this many alerts of at most this severity are not false (a stale key retried forever is one low item). */
  tolerate?: { maxSeverity: Severity; count: number };
  /** People's feedback in place before the run (what the analytics API writes): suppression rules, trusted networks. */
  feedback?: {
    suppressions?: Array<{ tenant_id: string; type: AlertType | null; key_id: string | null; cidr: string | null }>;
    trusted?: Array<{ tenant_id: string; cidrs: string[] }>;
  };
}
