// Typings of `dollr-native/testing`: the in-process sandbox.
import type { Client, ClientOptions } from '../../index';

/** Options of {@link startSandbox}. Every key is optional. */
export interface SandboxOptions {
  /** Time for an execution to settle (PROCESSING after half), in ms. Default 20. */
  settleMs?: number;
  /** Seed of every random decision (faults, ids). Default 7 (deterministic). */
  seed?: number;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  clientId?: string;
  clientSecret?: string;
  /** The merchant payout passcode. Default "123456". */
  passcode?: string;
  /** `false`: an unverified merchant (payouts, transfers, refunds, hosted checkout answer 403). */
  verified?: boolean;
  tokenTtlMinutes?: number;
  tokenTtlSeconds?: number;
  checkoutSessionTtlSeconds?: number;
  payoutSessionTtlSeconds?: number;
  /** Opening balances by currency, as decimal strings: `{ USD: "5.00" }`. */
  wallets?: Partial<Record<'USD' | 'LRD' | 'RWF', string>>;
  /** Faults active from the start (the `PUT /_sandbox/faults` shape). */
  faults?: SandboxFaults;
}

/** One fault rule, in the sandbox's own (snake_case) format. */
export interface SandboxFaultRule {
  kind: 'drop_response' | 'error' | 'rate_limit' | 'latency';
  scope?: 'executions' | 'v1' | 'all' | 'token' | 'status';
  count?: number;
  probability?: number;
  status?: number;
  retry_after?: number;
  latency_ms?: number;
}

/** The fault configuration (`PUT /_sandbox/faults`). */
export interface SandboxFaults {
  latency_ms?: number;
  latency_jitter_ms?: number;
  rules?: SandboxFaultRule[];
}

/** A running sandbox. JSON documents come back in the sandbox's own snake_case shapes. */
export interface Sandbox {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly clientId: string;
  /** The sandbox's test credential (not a real secret). */
  readonly clientSecret: string;
  readonly passcode: string;
  readonly seed: number;
  /** A `Client` connected to this sandbox. */
  client(options?: Omit<ClientOptions, 'baseUrl' | 'clientId' | 'clientSecret'>): Client;
  setFaults(faults: SandboxFaults): void;
  addFault(rule: SandboxFaultRule): void;
  clearFaults(): void;
  faults(): SandboxFaults;
  /** Counters, as `GET /_sandbox/stats` returns them. */
  stats(): Record<string, any>;
  events(): Array<Record<string, any>>;
  /** The merchant wallets; `balance` is a decimal string. */
  wallets(): Array<{ id: number; currency: string; balance: string; status: string }>;
  setWalletBalance(currency: 'USD' | 'LRD' | 'RWF', balance: string): void;
  /** One per execution; amounts are decimal strings. */
  paymentIntents(): Array<Record<string, any>>;
  updateConfig(patch: Record<string, unknown>): void;
  /** Moves an execution to its next (or final) state and returns the new status. */
  advance(referenceId: string, options?: { toFinal?: boolean }): string;
  advanceClock(ms: number): void;
  revokeTokens(): number;
  reset(): void;
  stop(): void;
}

/** Starts the in-process sandbox on a free loopback port. */
export function startSandbox(options?: SandboxOptions): Sandbox;
