#!/usr/bin/env node
// Generates the JavaScript surface of dollr-native from the core's bridge schema
// (core/bridge-schema.json; format in core/src/bridge/SCHEMA.md):
//
//   bindings-node/lib/generated/api.js   resource classes, flows, conversion tables, enum values
//   bindings-node/lib/generated/errors.js the error class of every kind (the core's table of kinds)
//   index.d.ts                           the complete typings (models, enums, events, errors)
//   index.mjs                            the ESM entry (named re-exports of the CommonJS module)
//
//   node bindings-node/codegen.mjs           write them
//   node bindings-node/codegen.mjs --check   exit 1 if the committed files differ (make test)
//
// The output is a pure function of the schema: no timestamps, stable ordering.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const schemaPath = join(root, 'core', 'bridge-schema.json');

// ------------------------------------------------------------------------------------------
// Names

/** `add_item` → `addItem` */
export function camel(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** `payment_accounts` → `PaymentAccounts` */
export function pascal(name) {
  const c = camel(name);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

/** `COMPLETES_ORANGE_LR` → `completesOrangeLr` */
function constantToCamel(name) {
  return camel(name.toLowerCase());
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function propertyKey(name) {
  return IDENT.test(name) ? name : JSON.stringify(name);
}

// ------------------------------------------------------------------------------------------
// Docs

/** snake_case names the schema defines (fields, parameters, methods, resources), filled by loadSchema. */
const SCHEMA_NAMES = new Set();

/**
 * The core's docs name things the Rust way: `verify_paid`, `base_currency`. In JS docs a quoted
 * schema name becomes its camelCase form (`verifyPaid`, `baseCurrency`); other quoted text, such
 * as wire values (`value_error.missing`), is left alone.
 */
function jsNames(text) {
  return text.replace(/`([a-z][a-z0-9_.]*)`/g, (whole, name) => {
    const segments = name.split('.');
    if (!segments.some((s) => s.includes('_'))) return whole;
    if (!segments.every((s) => !s.includes('_') || SCHEMA_NAMES.has(s))) return whole;
    return `\`${segments.map(camel).join('.')}\``;
  });
}

// A duration quantity in the core's docs: `8 s`, `0.25 s`, `500 ms`.
const SECONDS = /\b(\d+(?:\.\d+)?) ?s\b/g;
const ANY_SECONDS = /\b\d+(?:\.\d+)? ?s\b|\bseconds?\b/i;
const ANY_MILLISECONDS = /\b\d+(?:\.\d+)? ?ms\b|\bmilliseconds?\b/i;

/** `8 s` restated as `8000 ms`: JS states durations in milliseconds (`*Ms` numbers). */
function millisecondsText(text) {
  return text.replace(SECONDS, (_, n) => `${Math.round(Number(n) * 1000)} ms`);
}

/**
 * The core's doc with every sentence that speaks of seconds and milliseconds restated in
 * milliseconds (`backoff 500 ms doubling to 8 s` → `backoff 500 ms doubling to 8000 ms`): a
 * duration is stated in one unit, JS's.
 */
function oneUnit(text) {
  return text
    .split(/((?<=[.;!])\s+)/)
    .map((part) => (ANY_SECONDS.test(part) && ANY_MILLISECONDS.test(part) ? millisecondsText(part) : part))
    .join('');
}

/** The doc of a `*_ms` field or parameter (a `*Ms` number in JS): every duration in ms. */
function durationDoc(field) {
  const doc = String(field.doc ?? '');
  return field.type === 'integer' && field.name.endsWith('_ms') ? millisecondsText(doc) : doc;
}

function jsdoc(text, indent = '', extra = []) {
  const lines = [];
  for (const line of oneUnit(jsNames(String(text ?? ''))).trim().split('\n')) lines.push(line.trimEnd());
  for (const line of extra) lines.push(line);
  const body = lines.filter((line, i) => line !== '' || (i > 0 && i < lines.length - 1));
  if (body.length === 0 || (body.length === 1 && body[0] === '')) return '';
  const safe = body.map((line) => line.replace(/\*\//g, '*\\/'));
  if (safe.length === 1) return `${indent}/** ${safe[0]} */\n`;
  return `${indent}/**\n${safe.map((line) => `${indent} *${line ? ` ${line}` : ''}`).join('\n')}\n${indent} */\n`;
}

// ------------------------------------------------------------------------------------------
// The schema, indexed

export function loadSchema(path = schemaPath) {
  const schema = JSON.parse(readFileSync(path, 'utf8'));
  const models = new Map(schema.models.map((m) => [m.name, m]));
  const enums = new Map(schema.enums.map((e) => [e.name, e]));
  SCHEMA_NAMES.clear();
  for (const model of schema.models) for (const f of model.fields) SCHEMA_NAMES.add(f.name);
  for (const event of schema.events ?? []) for (const f of event.fields) SCHEMA_NAMES.add(f.name);
  for (const op of schema.operations) {
    SCHEMA_NAMES.add(op.method);
    if (op.resource) SCHEMA_NAMES.add(op.resource);
    for (const p of op.params) SCHEMA_NAMES.add(p.name);
  }
  return { schema, models, enums };
}

/** Every model name reachable from a type string. */
function reach(type, models, seen) {
  if (type.startsWith('list:')) return reach(type.slice(5), models, seen);
  if (type.startsWith('model:')) {
    const name = type.slice(6);
    if (seen.has(name)) return;
    seen.add(name);
    for (const field of models.get(name)?.fields ?? []) reach(field.type, models, seen);
  }
}

/** Which models are read (inputs) and which are written (outputs) by the bridge. */
function directions({ schema, models }) {
  const inputs = new Set();
  const outputs = new Set();
  for (const op of schema.operations) {
    for (const param of op.params) reach(param.type, models, inputs);
    reach(op.returns, models, outputs);
  }
  for (const event of schema.events ?? []) for (const field of event.fields) reach(field.type, models, outputs);
  return { inputs, outputs };
}

/**
 * The positional parameters of an operation (leading JS arguments), in schema order: the URL path
 * parameters (`id`, `item_id`, `number`, `reference_id` of `status.*`). Everything else is a
 * property of the one arguments object, so calls read the same whatever the parameter order.
 */
function positionalParams(op) {
  return op.params.filter((p) => p.kind === 'path');
}

function namedParams(op) {
  return op.params.filter((p) => p.kind !== 'path');
}

function argsTypeName(op) {
  return `${op.resource ? pascal(op.resource) : ''}${pascal(op.method)}Args`;
}

function resourceClassName(resource) {
  return `${pascal(resource)}Resource`;
}

// ------------------------------------------------------------------------------------------
// api.js

function field(f) {
  return `{ js: ${JSON.stringify(camel(f.name))}, wire: ${JSON.stringify(f.name)}, type: ${JSON.stringify(f.type)} }`;
}

/** A named parameter: its field, plus `location` when the API takes it in the query string. */
function paramField(p) {
  const location = p.kind === 'query' ? `, location: ${JSON.stringify(p.kind)}` : '';
  return `{ js: ${JSON.stringify(camel(p.name))}, wire: ${JSON.stringify(p.name)}, type: ${JSON.stringify(p.type)}${location} }`;
}

export function generateApi(ctx) {
  const { schema } = ctx;
  const out = [];
  out.push(`'use strict';
// GENERATED by bindings-node/codegen.mjs from core/bridge-schema.json: do not edit by hand.
// Run \`make generate-node\` after the schema changes; \`make test\` fails while this file is stale.

const { indexFields } = require('../runtime.js');
`);
  out.push('/** Field tables of every model: JS (camelCase) name, wire (snake_case) name, schema type. */');
  out.push('const MODELS = {');
  for (const model of schema.models) {
    out.push(`  ${propertyKey(model.name)}: indexFields({`);
    out.push('    fields: [');
    for (const f of model.fields) out.push(`      ${field(f)},`);
    out.push('    ],');
    out.push('  }),');
  }
  out.push('};');
  out.push('');
  out.push('/** Flow events, by their `event` name. */');
  out.push('const EVENTS = {');
  for (const event of schema.events ?? []) {
    out.push(`  ${propertyKey(event.name)}: indexFields({`);
    out.push('    fields: [');
    for (const f of event.fields) out.push(`      ${field(f)},`);
    out.push('    ],');
    out.push('  }),');
  }
  out.push('};');
  out.push('');
  out.push('/** Every operation: its bridge name, parameters and result type. */');
  out.push('const OPERATIONS = {');
  for (const op of schema.operations) {
    out.push(`  ${JSON.stringify(op.name)}: indexFields(`);
    out.push('    {');
    out.push(`      name: ${JSON.stringify(op.name)},`);
    out.push(`      positional: [${positionalParams(op).map(field).join(', ')}],`);
    out.push('      params: [');
    for (const p of namedParams(op)) out.push(`        ${paramField(p)},`);
    out.push('      ],');
    out.push(`      returns: ${JSON.stringify(op.returns)},`);
    out.push(`      events: ${op.events ? "'event'" : 'undefined'},`);
    out.push(`      eventsOption: ${op.events ? "'onEvent'" : 'undefined'},`);
    out.push('    },');
    out.push("    'params',");
    out.push('  ),');
  }
  out.push('};');
  out.push('');
  out.push('/** The options of `new Client(...)`, converted and checked like the fields of a model. */');
  out.push('const CLIENT_OPTIONS = indexFields({');
  out.push('  fields: [');
  for (const o of schema.client_options ?? []) out.push(`    ${field(o)},`);
  out.push('  ],');
  out.push('});');
  out.push('');
  out.push('/** The values of every enum, as frozen `{ VALUE: "VALUE" }` objects. */');
  out.push('const ENUMS = {');
  for (const e of schema.enums) {
    out.push(`  ${e.name}: Object.freeze({ ${e.values.map((v) => `${propertyKey(v)}: ${JSON.stringify(v)}`).join(', ')} }),`);
  }
  out.push('};');
  out.push('');
  out.push('const TABLES = { models: MODELS, events: EVENTS };');
  out.push('');

  const byResource = new Map();
  const flows = [];
  for (const op of schema.operations) {
    if (op.resource) {
      if (!byResource.has(op.resource)) byResource.set(op.resource, []);
      byResource.get(op.resource).push(op);
    } else {
      flows.push(op);
    }
  }

  const method = (op, indent) => {
    const positional = positionalParams(op).map((p) => camel(p.name));
    const named = namedParams(op);
    const args = [...positional, ...(named.length || op.events ? ['args'] : [])];
    const doc = jsdoc(op.doc, indent);
    return `${doc}${indent}${camel(op.method)}(${args.join(', ')}) {
${indent}  return this.#call(OPERATIONS[${JSON.stringify(op.name)}], [${positional.join(', ')}], ${named.length || op.events ? 'args' : 'undefined'});
${indent}}
`;
  };

  for (const [resource, ops] of byResource) {
    out.push(`/** \`client.${camel(resource)}\` */`);
    out.push(`class ${resourceClassName(resource)} {`);
    out.push('  #call;');
    out.push('  constructor(call) {');
    out.push('    this.#call = call;');
    out.push('  }');
    out.push('');
    out.push(ops.map((op) => method(op, '  ')).join('\n').trimEnd());
    out.push('}');
    out.push('');
  }

  out.push('/** The operations of a `Client`: its resources and the flows. */');
  out.push('class ClientOperations {');
  out.push('  #call;');
  out.push('  /** @param {(op: object, positional: unknown[], args: object | undefined) => Promise<any>} call */');
  out.push('  constructor(call) {');
  out.push('    this.#call = call;');
  out.push('    const resources = {');
  for (const resource of byResource.keys()) out.push(`      ${camel(resource)}: new ${resourceClassName(resource)}(call),`);
  out.push('    };');
  out.push('    for (const [name, value] of Object.entries(resources)) {');
  out.push('      Object.defineProperty(this, name, { value, enumerable: false, writable: false });');
  out.push('    }');
  out.push('  }');
  out.push('');
  out.push(flows.map((op) => method(op, '  ')).join('\n').trimEnd());
  out.push('}');
  out.push('');
  out.push('module.exports = { MODELS, EVENTS, OPERATIONS, CLIENT_OPTIONS, ENUMS, TABLES, ClientOperations };');
  out.push('');
  return out.join('\n');
}

// ------------------------------------------------------------------------------------------
// index.d.ts

/** The TS type of a schema type, for values the SDK returns (`out`) or accepts (`in`). */
function tsType(type, direction, ctx) {
  if (type.startsWith('list:')) {
    const inner = tsType(type.slice(5), direction, ctx);
    return /[ |&]/.test(inner) ? `Array<${inner}>` : `${inner}[]`;
  }
  if (type.startsWith('enum:')) {
    const name = type.slice(5);
    const open = ctx.enums.get(name)?.open;
    return direction === 'out' && open ? `Open<${name}>` : name;
  }
  if (type.startsWith('model:')) {
    const name = type.slice(6);
    return direction === 'in' ? ctx.inputName(name) : name;
  }
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'decimal':
      return direction === 'in' ? 'DecimalInput' : 'Decimal';
    case 'timestamp':
      return direction === 'in' ? 'TimestampInput' : 'Timestamp';
    case 'secret':
      return direction === 'in' ? 'SecretInput' : 'Secret';
    case 'null':
      return 'null';
    case 'json':
    default:
      return 'unknown';
  }
}

function fieldLines(fields, direction, ctx, indent, optionalOf = (f) => f.optional) {
  return fields
    .map((f) => {
      const optional = optionalOf(f);
      return `${jsdoc(durationDoc(f), indent)}${indent}${direction === 'out' ? 'readonly ' : ''}${propertyKey(camel(f.name))}${optional ? '?' : ''}: ${tsType(f.type, direction, ctx)};`;
    })
    .join('\n');
}

export function generateDts(ctx) {
  const { schema, models, enums } = ctx;
  const { inputs, outputs } = directions(ctx);
  // A model both read and written gets a separate input interface (`FooInput`): inputs accept
  // numbers for amounts, `Date`s and `Secret`s; outputs are exactly what the SDK returns.
  ctx.inputName = (name) => (outputs.has(name) ? `${name}Input` : name);

  const out = [];
  out.push(`// GENERATED by bindings-node/codegen.mjs from core/bridge-schema.json: do not edit by hand.
// Type definitions for dollr-native ${schema.sdk_version}.
//
// Conventions:
// - Names are camelCase; the SDK converts them to the API's snake_case and back.
// - Money is a decimal STRING ("250.10"), never a float. Inputs also take a JS number when its
//   shortest decimal form has no more decimals than the currency allows (250.1 is "250.1"; 0.1 + 0.2
//   is refused); results are always strings. Compare and compute with a decimal library, not Number.
// - Timestamps are ISO 8601 / RFC 3339 strings ("2026-11-21T06:25:36Z"); inputs also take a Date.
// - Ids are integers (numbers). Secrets in results are Secret objects that never print their value.
// - Every operation returns a Promise and rejects with a DollrError subclass whose \`code\` is the
//   error kind.
`);
  out.push(`/** A decimal amount, as an exact decimal string ("250.10"). */
export type Decimal = string;
/**
 * An amount you pass: a decimal string, a decimal library's value (decimal.js, big.js,
 * bignumber.js: its \`toJSON()\` text), or a finite JS number whose shortest decimal form is exact
 * for the currency (the core checks it; numbers with more decimals than the currency has are
 * refused, and so are NaN, ±Infinity and numbers beyond Number.MAX_SAFE_INTEGER).
 */
export type DecimalInput = string | number | { toJSON(): string };
/** An ISO 8601 / RFC 3339 timestamp string, e.g. "2026-11-21T06:25:36Z". */
export type Timestamp = string;
/** A timestamp you pass: an ISO 8601 string or a Date. */
export type TimestampInput = string | Date;
/** A secret you pass: a string or a Secret. */
export type SecretInput = string | Secret;
/** An open enum: the known values, or a value this SDK version does not know yet (kept verbatim). */
export type Open<T extends string> = T | (string & {});

/** A secret string. Printing, inspecting or JSON-encoding it shows "[REDACTED]". */
export declare class Secret {
  constructor(value: string);
  /** The secret itself: call it only where the value must leave your program. */
  expose(): string;
  toString(): string;
  toJSON(): string;
}
`);

  out.push('// ---------------------------------------------------------------------------------------');
  out.push('// Enums');
  out.push('');
  for (const e of schema.enums) {
    const docs = e.value_docs ?? {};
    out.push(jsdoc(e.doc).trimEnd());
    out.push(`export type ${e.name} =`);
    out.push(e.values.map((v) => `${docs[v] ? jsdoc(docs[v], '  ') : ''}  | ${JSON.stringify(v)}`).join('\n') + ';');
    out.push(`/** The values of {@link ${e.name}}. */`);
    out.push(`export declare const ${e.name}: {`);
    for (const v of e.values) out.push(`  readonly ${propertyKey(v)}: ${JSON.stringify(v)};`);
    out.push('};');
    out.push('');
  }

  out.push('// ---------------------------------------------------------------------------------------');
  out.push('// Models');
  out.push('');
  for (const model of schema.models) {
    const isOut = outputs.has(model.name);
    const isIn = inputs.has(model.name);
    // Request and query types reach JS flattened into each operation's `*Args`; the error shape
    // is the DollrError classes. Only models a call takes or returns are typed here.
    if (!isOut && !isIn) continue;
    if (isOut) {
      out.push(jsdoc(model.doc).trimEnd());
      out.push(`export interface ${model.name} {`);
      out.push(fieldLines(model.fields, 'out', ctx, '  '));
      out.push('}');
      out.push('');
    }
    if (isIn) {
      out.push(jsdoc(model.doc, '', isOut ? [`(The input form of {@link ${model.name}}.)`] : []).trimEnd());
      out.push(`export interface ${ctx.inputName(model.name)} {`);
      out.push(fieldLines(model.fields, 'in', ctx, '  '));
      out.push('}');
      out.push('');
    }
  }

  out.push('// ---------------------------------------------------------------------------------------');
  out.push('// Flow events (`onEvent` of the flows), told apart by `event`');
  out.push('');
  const eventNames = [];
  for (const event of schema.events ?? []) {
    const name = `${pascal(event.name)}Event`;
    eventNames.push(name);
    out.push(jsdoc(event.doc).trimEnd());
    out.push(`export interface ${name} {`);
    out.push(`  readonly event: ${JSON.stringify(event.name)};`);
    out.push(fieldLines(event.fields, 'out', ctx, '  '));
    out.push('}');
    out.push('');
  }
  out.push('/** Any flow event. */');
  out.push(`export type FlowEvent =\n${eventNames.map((n) => `  | ${n}`).join('\n')};`);
  out.push('');

  out.push('// ---------------------------------------------------------------------------------------');
  out.push('// Arguments of every operation');
  out.push('');
  for (const op of schema.operations) {
    const named = namedParams(op);
    if (!named.length && !op.events) continue;
    out.push(`/** The arguments of \`${op.name}\`. */`);
    out.push(`export interface ${argsTypeName(op)} {`);
    out.push(fieldLines(named, 'in', ctx, '  ', (p) => !p.required));
    if (op.events) {
      out.push('  /**');
      out.push('   * Called with each step and status change as it happens (keep it quick). An exception it');
      out.push('   * throws is reported like any uncaught exception; the call itself carries on.');
      out.push('   */');
      out.push('  onEvent?: (event: FlowEvent) => void;');
    }
    out.push('}');
    out.push('');
  }

  out.push('// ---------------------------------------------------------------------------------------');
  out.push('// The client');
  out.push('');
  const methodDecl = (op, indent) => {
    const params = positionalParams(op).map((p) => `${camel(p.name)}: ${tsType(p.type, 'in', ctx)}`);
    const named = namedParams(op);
    if (named.length || op.events) {
      const optional = !named.some((p) => p.required);
      params.push(`args${optional ? '?' : ''}: ${argsTypeName(op)}`);
    }
    const returns = op.returns === 'null' ? 'void' : tsType(op.returns, 'out', ctx);
    const paramDocs = positionalParams(op)
      .filter((p) => p.doc)
      .map((p) => `@param ${camel(p.name)} ${durationDoc(p)}`);
    return `${jsdoc(op.doc, indent, paramDocs.length ? ['', ...paramDocs] : [])}${indent}${camel(op.method)}(${params.join(', ')}): Promise<${returns}>;`;
  };
  const byResource = new Map();
  const flows = [];
  for (const op of schema.operations) {
    if (op.resource) {
      if (!byResource.has(op.resource)) byResource.set(op.resource, []);
      byResource.get(op.resource).push(op);
    } else flows.push(op);
  }
  // Options that are JS objects rather than data (the WebAssembly engine's host hooks, decision
// 0018): written by hand, not in the core's schema.
const HOST_OPTIONS_DECL = `  /**
   * Where access tokens come from instead of a client secret: called with \`forceRefresh\` (true
   * after the API refused the previous token), resolves to \`{ token, expiresInMs? }\` (no
   * \`expiresInMs\`: used until the API refuses it). The way to use dollr in a browser, where a
   * client secret is refused. WebAssembly engine only (edge runtimes and browsers).
   */
  tokenProvider?: (forceRefresh: boolean) => Promise<{ token: string; expiresInMs?: number }>;
  /**
   * A journal kept by the host (a Durable Object's storage, KV): exactly-once across restarts of
   * the isolate. WebAssembly engine only; replaces \`journal\`.
   */
  journalStore?: JournalStore;`;

const JOURNAL_STORE_DECL = `/**
 * A key-value store kept by the host for \`new Client({ journalStore })\` (WebAssembly engine): one
 * JSON text per intent of an exactly-once call, under \`dollr-intent:<referenceId>\`. Back it with
 * a Durable Object's storage (one request at a time: safe for many isolates) or KV.
 */
export interface JournalStore {
  get(key: string): Promise<string | null | undefined>;
  put(key: string, value: string): Promise<void>;
  /** The values of every key that starts with \`prefix\`. */
  list(prefix: string): Promise<string[]>;
}
`;

const STATUS_WATCH_DECL = `  /**
   * Follows the execution \`referenceId\` and yields each observed status change as it happens
   * (\`for await (const change of client.status.watch(ref, { sessionId }))\`), until it is
   * \`COMPLETED\` or \`FAILED\` or \`timeoutMs\` passes. For a collection, pass its checkout
   * \`sessionId\`: with a Supabase URL and anon key on the client, changes arrive over Supabase
   * Realtime (\`change.channel === 'realtime'\`, each confirmed by the status API), polling being
   * the fallback. Leaving the loop closes the subscription.
   */
  watch(referenceId: string, options?: StatusWatchOptions): StatusWatch;`;
  const WATCH_DECLS = `/** Options of \`client.status.watch(..)\` (durations in milliseconds). */
export interface StatusWatchOptions {
  /** Which execution (default \`'COLLECTION'\`). */
  operation?: OperationType;
  /** The collection's checkout session: listen on its realtime channel. */
  sessionId?: number;
  /** What the session pays (default \`'INVOICE'\`). */
  sourceType?: SourceType;
  /** How long to follow it in total (default 5 minutes). */
  timeoutMs?: number;
  /** The first interval between polls (default 2000). */
  initialIntervalMs?: number;
  /** The longest interval between polls (default 15000). */
  maxIntervalMs?: number;
  /** How long the realtime channel may stay silent before polling resumes (default 30000). */
  realtimeTimeoutMs?: number;
}

/** The changes of one execution (\`for await\`); \`outcome\` is set once it has ended. */
export declare class StatusWatch implements AsyncIterableIterator<TransitionEvent> {
  private constructor();
  /** How the wait ended (\`undefined\` until the iteration ended without an error). */
  readonly outcome: WaitOutcome | undefined;
  next(): Promise<IteratorResult<TransitionEvent>>;
  return(): Promise<IteratorResult<TransitionEvent>>;
  [Symbol.asyncIterator](): StatusWatch;
  /** Stops the wait and closes its realtime socket. */
  close(): void;
}
`;
  for (const [resource, ops] of byResource) {
    out.push(`/** \`client.${camel(resource)}\`: the \`${resource}\` operations. */`);
    out.push(`export declare class ${resourceClassName(resource)} {`);
    out.push('  private constructor();');
    out.push(ops.map((op) => methodDecl(op, '  ')).join('\n'));
    // Written by hand (lib/watch.js): an async iterator over `status.wait`'s transitions.
    if (resource === 'status') out.push(STATUS_WATCH_DECL);
    out.push('}');
    out.push('');
  }
  if (byResource.has('status')) out.push(WATCH_DECLS);
  // The binding sets `sdk_language` itself (the User-Agent says dollr-node).
  const optionFields = (schema.client_options ?? []).filter((o) => o.name !== 'sdk_language');
  out.push(JOURNAL_STORE_DECL);
  out.push('/** Options of `new Client(...)`. Each falls back to the core\'s environment variables and defaults. */');
  out.push('export interface ClientOptions {');
  out.push(fieldLines(optionFields, 'in', ctx, '  ', () => true));
  out.push(HOST_OPTIONS_DECL);
  out.push('}');
  out.push('');
  out.push(`/**
 * The Dollr API client. One connection pool, token cache and journal per instance; share one
 * client across your app (it is safe for any number of concurrent calls).
 *
 * \`util.inspect(client)\` and \`JSON.stringify(client)\` show the base URL and client id, never the
 * secret.
 */
export declare class Client {
  constructor(options?: ClientOptions);
  /** The API base URL in use (after environment fallbacks). */
  readonly baseUrl: string;
  /** The client id in use (the secret cannot be read back). */
  readonly clientId: string | undefined;
  toJSON(): { baseUrl: string; clientId: string | undefined };`);
  for (const resource of byResource.keys()) {
    out.push(`  readonly ${camel(resource)}: ${resourceClassName(resource)};`);
  }
  out.push(flows.map((op) => methodDecl(op, '  ')).join('\n'));
  out.push('}');
  out.push('');

  out.push('// ---------------------------------------------------------------------------------------');
  out.push('// Errors');
  out.push('');
  out.push(`/**
 * One field-level problem of an error (FastAPI's 422 shape \`{ loc, msg, type }\`, also used for
 * client-side validation), plus \`field\`.
 */
export interface ErrorDetail {
  /** Where: e.g. ["body", "items", "0", "amount"]. */
  readonly loc: string[];
  /** What is wrong, in words. */
  readonly msg: string;
  /** A machine-readable type, e.g. "value_error.missing". */
  readonly type: string;
  /** \`loc\` without its body/query/path prefix, dotted: "items.0.amount". */
  readonly field: string;
}

/** Every error the SDK raises (Promises reject with a subclass). No field ever holds a secret. */
export declare class DollrError extends Error {
  /** The error kind (the core's stable name). */
  readonly code: ErrorKind;
  /** Field-level problems (validation); empty otherwise. */
  readonly details: ErrorDetail[];
  /** The HTTP status, when the API answered. */
  readonly status?: number;
  /** How long the API asked to wait before retrying, in seconds (429). */
  readonly retryAfter?: number;
  /** The execution's reference id this error concerns (resume with it; never pay again). */
  readonly referenceId?: string;
  /** The API's request id, when it sent one. */
  readonly requestId?: string;
  /** Whether the same request may succeed if repeated later (each kind's class says). */
  readonly retryable: boolean;
}`);
  for (const error of schema.errors) {
    out.push(jsdoc(errorDoc(error, 97)).trimEnd());
    out.push(`export declare class ${errorClass(error.kind)} extends DollrError {`);
    out.push(`  readonly code: ${JSON.stringify(error.kind)};`);
    out.push(`  readonly retryable: ${error.retryable};`);
    out.push('}');
  }
  out.push('');
  out.push('// ---------------------------------------------------------------------------------------');
  out.push('// Constants');
  out.push('');
  out.push('/** The sandbox\'s deterministic test numbers (phones are E.164 digits without "+"). */');
  out.push('export declare const testNumbers: {');
  for (const [name, value] of Object.entries(schema.test_numbers ?? {})) {
    out.push(`  readonly ${constantToCamel(name)}: ${JSON.stringify(value)};`);
  }
  out.push('};');
  out.push('');
  out.push('/** The SDK version (one number for every dollr package). */');
  out.push('export declare const VERSION: string;');
  out.push('');
  void models;
  void enums;
  const text = out.join('\n').replace(/\n{3,}/g, '\n\n');
  checkUniqueNames(text);
  return text;
}

/** A schema name that collides with a name this generator adds would silently merge two types. */
function checkUniqueNames(dts) {
  const seen = new Map();
  for (const match of dts.matchAll(/^export (?:declare )?(?:interface|type|class) (\w+)/gm)) {
    const name = match[1];
    if (seen.has(name)) throw new Error(`codegen: two declarations of ${name} in index.d.ts`);
    seen.set(name, true);
  }
}

// ------------------------------------------------------------------------------------------
// Errors: the classes of the core's table of error kinds (the schema's `errors`)

/** The JS class of an error kind: `<Kind>Error`, except `RateLimitError` (its historical name). */
export function errorClass(kind) {
  return kind === 'RateLimited' ? 'RateLimitError' : `${kind}Error`;
}

/**
 * An error class's doc: the kind's description, then what to do, fields named as JS spells them
 * (`referenceId`), each paragraph wrapped to fit `width` columns.
 */
function errorDoc(error, width) {
  const paragraphs = [error.description, error.action].map((text) => {
    const words = text.replace(/`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`/g, (_, name) => `\`${camel(name)}\``).split(/\s+/);
    const lines = [''];
    for (const word of words) {
      const last = lines.length - 1;
      if (lines[last] && lines[last].length + 1 + word.length > width) lines.push(word);
      else lines[last] = lines[last] ? `${lines[last]} ${word}` : word;
    }
    return lines.join('\n');
  });
  return paragraphs.join('\n\n');
}

export function generateErrors(ctx) {
  const out = [];
  out.push(`'use strict';
// GENERATED by bindings-node/codegen.mjs from core/bridge-schema.json (its \`errors\`: the core's
// table of error kinds): do not edit by hand. Run \`make generate-node\` after the schema changes.

/**
 * Declares the class of every error kind, a subclass of \`DollrError\` (lib/errors.js), and returns
 * them by kind name.
 * @param {typeof Error} DollrError
 */
function defineErrorClasses(DollrError) {`);
  for (const error of ctx.schema.errors) {
    out.push(jsdoc(errorDoc(error, 95), '  ').trimEnd());
    out.push(`  class ${errorClass(error.kind)} extends DollrError {`);
    out.push('    get retryable() {');
    out.push(`      return ${error.retryable};`);
    out.push('    }');
    out.push('  }');
  }
  out.push('  return {');
  for (const error of ctx.schema.errors) out.push(`    ${error.kind}: ${errorClass(error.kind)},`);
  out.push('  };');
  out.push('}');
  out.push('');
  out.push('module.exports = { defineErrorClasses };');
  out.push('');
  return out.join('\n');
}

// ------------------------------------------------------------------------------------------
// index.mjs

export function exportNames(ctx) {
  return [
    'Client',
    'Secret',
    'testNumbers',
    'VERSION',
    'DollrError',
    ...ctx.schema.errors.map((error) => errorClass(error.kind)),
    ...ctx.schema.enums.map((e) => e.name),
  ];
}

export function generateMjs(ctx) {
  const names = exportNames(ctx);
  return `// GENERATED by bindings-node/codegen.mjs from core/bridge-schema.json: do not edit by hand.
// The ESM entry of dollr-native: named re-exports of the CommonJS module (one copy of each class).
import dollr from './index.js';

export const {
${names.map((n) => `  ${n},`).join('\n')}
} = dollr;
export default dollr;
`;
}

// ------------------------------------------------------------------------------------------

export function generateAll(path = schemaPath) {
  const ctx = loadSchema(path);
  const dts = generateDts(ctx);
  return new Map([
    [join(here, 'lib', 'generated', 'api.js'), generateApi(ctx)],
    [join(here, 'lib', 'generated', 'errors.js'), generateErrors(ctx)],
    [join(root, 'index.d.ts'), dts],
    [join(root, 'index.mjs'), generateMjs(ctx)],
  ]);
}

function main() {
  const check = process.argv.includes('--check');
  const files = generateAll();
  const stale = [];
  for (const [file, text] of files) {
    let current = null;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = null;
    }
    if (current === text) continue;
    if (check) {
      stale.push(relative(root, file));
    } else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      console.log(`wrote ${relative(root, file)}`);
    }
  }
  if (check && stale.length) {
    console.error(
      `generated files are out of date with core/bridge-schema.json: ${stale.join(', ')}\n` +
        'run `make generate-node` (node bindings-node/codegen.mjs) and commit the result',
    );
    process.exit(1);
  }
  if (check) console.log('generated Node files are up to date');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
