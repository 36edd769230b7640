// Typings of dollr-native-testing (also `dollr-native/testing`): the sandbox for tests, the
// `dollr sandbox` binary run as a child process and controlled over loopback HTTP.
import type { Client, ClientOptions, Secret } from 'dollr-native';

/** Options of {@link startSandbox}. Every key is optional. */
export interface SandboxOptions {
  /** Time for an execution to settle (PROCESSING after half), in ms. Default 20. */
  settleMs?: number;
  /** Seed of every random decision (faults, ids). Default 7 (deterministic). */
  seed?: number;
  /** Loopback port; 0 (the default) picks a free one. */
  port?: number;
  clientId?: string;
  clientSecret?: string | Secret;
  /** The merchant payout passcode. Default "123456". */
  passcode?: string | Secret;
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

/**
 * A running sandbox (`dollr sandbox` in a child process). Every control call is an HTTP request
 * to it, so it returns a Promise; JSON documents come back in the sandbox's own snake_case shapes.
 * A sandbox that is never stopped does not keep Node running, and stops when Node exits.
 */
export interface Sandbox extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly clientId: string;
  /** The sandbox's test credential (not a real secret; `inspect` never shows it). */
  readonly clientSecret: string;
  readonly passcode: string;
  readonly seed: number;
  /** The process id of `dollr sandbox`. */
  readonly pid: number;
  /** A `Client` connected to this sandbox. */
  /** The sandbox's Supabase Realtime server (what `client()` listens on by default). */
  readonly supabase: { supabaseUrl: string; supabaseAnonKey: string };
  /**
   * A `Client` for this sandbox, listening on its Supabase Realtime server unless
   * `realtime: false` (so a collection finishes in about the settle time).
   */
  client(
    options?: Omit<ClientOptions, 'baseUrl' | 'clientId' | 'clientSecret'> & { realtime?: boolean },
  ): Client;
  setFaults(faults: SandboxFaults): Promise<void>;
  addFault(rule: SandboxFaultRule): Promise<void>;
  clearFaults(): Promise<void>;
  faults(): Promise<SandboxFaults>;
  /** Counters, as `GET /_sandbox/stats` returns them. */
  stats(): Promise<Record<string, any>>;
  events(): Promise<Array<Record<string, any>>>;
  /** The merchant wallets; `balance` is a decimal string. */
  wallets(): Promise<Array<{ id: number; currency: string; balance: string; status: string }>>;
  setWalletBalance(currency: 'USD' | 'LRD' | 'RWF', balance: string): Promise<void>;
  /** One per execution; amounts are decimal strings. */
  paymentIntents(): Promise<Array<Record<string, any>>>;
  updateConfig(patch: Record<string, unknown>): Promise<void>;
  /** Moves an execution to its next (or final) state and resolves to the new status. */
  advance(referenceId: string, options?: { toFinal?: boolean }): Promise<string>;
  advanceClock(ms: number): Promise<void>;
  /** Invalidates every issued token; resolves to how many there were. */
  revokeTokens(): Promise<number>;
  reset(): Promise<void>;
  /** Stops the sandbox and resolves once its process has exited (idempotent). */
  stop(): Promise<void>;
  /** The same as `stop()`. */
  close(): Promise<void>;
}

/** Starts `dollr sandbox` on a free loopback port; resolves once it listens. */
export function startSandbox(options?: SandboxOptions): Promise<Sandbox>;

/**
 * The `dollr` binary `startSandbox` runs: `DOLLR_SANDBOX_BINARY`, else the one this package's
 * platform companion (`dollr-native-testing-<platform>`) brings, else `dollr` on PATH.
 */
export function findSandboxBinary(): string;

/** A failure of the helper itself (no `dollr` binary, a sandbox that did not start or is gone). */
export class SandboxError extends Error {
  readonly code:
    | 'DOLLR_SANDBOX_NOT_FOUND'
    | 'DOLLR_SANDBOX_BINARY_MISSING'
    | 'DOLLR_SANDBOX_START'
    | 'DOLLR_SANDBOX_STOPPED'
    | 'DOLLR_SANDBOX_GONE';
}

declare const testing: {
  startSandbox: typeof startSandbox;
  findSandboxBinary: typeof findSandboxBinary;
  SandboxError: typeof SandboxError;
};
export default testing;
