import { z } from 'zod';
import { validateWith, type Validated } from '../validation';

/**
 * The configuration of an OPC Core Client: which OPC UA servers it connects to, how securely,
 * which nodes it samples and how much it buffers while the uplink is down. The service
 * validates it before accepting a config job and the agent validates it again before writing
 * it, with this same schema.
 */
export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const SECURITY_POLICIES = [
  'None',
  'Basic128Rsa15',
  'Basic256',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;

const endpointSchema = z
  .object({
    name: z.string().min(1).max(64),
    url: z
      .string()
      .max(512)
      .regex(
        /^opc\.tcp:\/\/[^\s/:]+(:\d{1,5})?(\/\S*)?$/,
        'must be an opc.tcp://host[:port][/path] URL',
      ),
    securityMode: z.enum(SECURITY_MODES),
    securityPolicy: z.enum(SECURITY_POLICIES),
    /** A reference to a credential held on the device, never the secret itself. */
    userIdentity: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('anonymous') }),
        z.object({
          type: z.literal('username'),
          username: z.string().min(1).max(128),
          passwordRef: z.string().min(1).max(256),
        }),
        z.object({ type: z.literal('certificate'), certificateRef: z.string().min(1).max(256) }),
      ])
      .default({ type: 'anonymous' }),
  })
  .superRefine((endpoint, ctx) => {
    // OPC UA: a secure mode needs a real policy, and mode None goes only with policy None.
    if ((endpoint.securityMode === 'None') !== (endpoint.securityPolicy === 'None')) {
      ctx.addIssue({
        code: 'custom',
        path: ['securityPolicy'],
        message: `securityPolicy ${endpoint.securityPolicy} does not fit securityMode ${endpoint.securityMode}`,
      });
    }
  });

const nodeSchema = z
  .object({
    endpoint: z.string().min(1).max(64),
    nodeId: z
      .string()
      .max(512)
      .regex(/^(ns=\d+;)?[isgb]=.+$/, 'must be an OPC UA NodeId such as ns=2;s=Line1.Temperature'),
    samplingIntervalMs: z.number().int().min(10).max(3_600_000),
    publishingIntervalMs: z.number().int().min(10).max(3_600_000),
    deadband: z
      .object({ type: z.enum(['absolute', 'percent']), value: z.number().min(0) })
      .optional(),
  })
  .superRefine((node, ctx) => {
    if (node.publishingIntervalMs < node.samplingIntervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['publishingIntervalMs'],
        message: 'must be at least samplingIntervalMs',
      });
    }
  });

const bufferingSchema = z.object({
  maxMessages: z.number().int().min(1).max(10_000_000),
  maxBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 ** 3),
  overflowPolicy: z.enum(['dropOldest', 'dropNewest']),
});

export const opcClientConfigSchema = z
  .object({
    endpoints: z.array(endpointSchema).min(1).max(32),
    nodes: z.array(nodeSchema).max(10_000),
    buffering: bufferingSchema,
  })
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.endpoints.forEach((endpoint, i) => {
      if (names.has(endpoint.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['endpoints', i, 'name'],
          message: `duplicate endpoint name ${endpoint.name}`,
        });
      }
      names.add(endpoint.name);
    });
    config.nodes.forEach((node, i) => {
      if (!names.has(node.endpoint)) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', i, 'endpoint'],
          message: `no endpoint named ${node.endpoint}`,
        });
      }
    });
  });

export type OpcClientConfig = z.infer<typeof opcClientConfigSchema>;

export function validateOpcClientConfig(input: unknown): Validated<OpcClientConfig> {
  return validateWith(opcClientConfigSchema, input);
}
