import {
  validateOpcClientConfig,
  type OpcClientConfig,
} from '@opcfleet/contracts/config/opc-client-config';
import { errorsByPath, type ErrorsByPath } from './field-errors';

/**
 * The config form holds what the inputs hold (text), so a half-typed number is kept as typed
 * and refused by the schema instead of silently becoming 0.
 */
export interface EndpointFields {
  name: string;
  url: string;
  securityMode: string;
  securityPolicy: string;
  /** Not edited by the form (a reference to a device-held credential): kept as it was. */
  userIdentity?: unknown;
}
export interface NodeFields {
  endpoint: string;
  nodeId: string;
  samplingIntervalMs: string;
  publishingIntervalMs: string;
  /** Not edited by the form: kept as it was. */
  deadband?: unknown;
}
export interface ConfigFormValues {
  endpoints: EndpointFields[];
  nodes: NodeFields[];
  buffering: { maxMessages: string; maxBytes: string; overflowPolicy: string };
}

export type ConfigFormResult =
  { ok: true; settings: OpcClientConfig } | { ok: false; errors: ErrorsByPath };

/** A number from an input; anything else stays text so the schema names the field. */
function numberOf(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

/** The settings the form would send, validated with the schema the service and the device use. */
export function toConfigSettings(values: ConfigFormValues): ConfigFormResult {
  const candidate = {
    endpoints: values.endpoints.map((endpoint) => ({
      name: endpoint.name.trim(),
      url: endpoint.url.trim(),
      securityMode: endpoint.securityMode,
      securityPolicy: endpoint.securityPolicy,
      ...(endpoint.userIdentity !== undefined && { userIdentity: endpoint.userIdentity }),
    })),
    nodes: values.nodes.map((node) => ({
      endpoint: node.endpoint.trim(),
      nodeId: node.nodeId.trim(),
      samplingIntervalMs: numberOf(node.samplingIntervalMs),
      publishingIntervalMs: numberOf(node.publishingIntervalMs),
      ...(node.deadband !== undefined && { deadband: node.deadband }),
    })),
    buffering: {
      maxMessages: numberOf(values.buffering.maxMessages),
      maxBytes: numberOf(values.buffering.maxBytes),
      overflowPolicy: values.buffering.overflowPolicy,
    },
  };
  const validated = validateOpcClientConfig(candidate);
  return validated.ok
    ? { ok: true, settings: validated.value }
    : { ok: false, errors: errorsByPath(validated.errors) };
}

/** The form filled with a configuration (the current one), or with a sensible first one. */
export function configFormValues(settings?: unknown): ConfigFormValues {
  const validated = settings === undefined ? undefined : validateOpcClientConfig(settings);
  const config: OpcClientConfig = validated?.ok ? validated.value : FIRST_CONFIG;
  return {
    endpoints: config.endpoints.map((endpoint) => ({
      name: endpoint.name,
      url: endpoint.url,
      securityMode: endpoint.securityMode,
      securityPolicy: endpoint.securityPolicy,
      userIdentity: endpoint.userIdentity,
    })),
    nodes: config.nodes.map((node) => ({
      endpoint: node.endpoint,
      nodeId: node.nodeId,
      samplingIntervalMs: String(node.samplingIntervalMs),
      publishingIntervalMs: String(node.publishingIntervalMs),
      ...(node.deadband && { deadband: node.deadband }),
    })),
    buffering: {
      maxMessages: String(config.buffering.maxMessages),
      maxBytes: String(config.buffering.maxBytes),
      overflowPolicy: config.buffering.overflowPolicy,
    },
  };
}

const FIRST_CONFIG: OpcClientConfig = {
  endpoints: [
    {
      name: 'plc-1',
      url: 'opc.tcp://plc-1.local:4840',
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      userIdentity: { type: 'anonymous' },
    },
  ],
  nodes: [
    {
      endpoint: 'plc-1',
      nodeId: 'ns=2;s=Line1.Temperature',
      samplingIntervalMs: 1000,
      publishingIntervalMs: 1000,
    },
  ],
  buffering: { maxMessages: 100_000, maxBytes: 64 * 1024 * 1024, overflowPolicy: 'dropOldest' },
};
