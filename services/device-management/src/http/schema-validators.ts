import { validateOpcClientConfig, type FieldError } from '@opcfleet/contracts';
import {
  registerDecorator,
  ValidateIf,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import type { z } from 'zod';
import { droppedKeyPaths } from './json-shape';

/**
 * class-validator decorators backed by the zod schemas of libs/contracts, so that an id,
 * version or image reference is judged by one rule everywhere (REST, MQTT, agent).
 */
export function MatchesSchema(schema: z.ZodType, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'matchesSchema',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => schema.safeParse(value).success,
        defaultMessage: (args) => {
          const result = schema.safeParse(args?.value);
          return `${propertyName} ${result.error?.issues[0]?.message ?? 'is invalid'}`;
        },
      },
    });
}

/** Constraint name whose message carries the config's field errors as JSON (see fieldErrorsOf). */
export const OPC_CLIENT_CONFIG_CONSTRAINT = 'opcClientConfig';

/**
 * The OPC client config schema of libs/contracts, with unknown fields refused (the schema
 * itself tolerates them, for the device's sake); each field error is listed in the 400.
 */
export function IsOpcClientConfig(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: OPC_CLIENT_CONFIG_CONSTRAINT,
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => opcClientConfigErrors(value).length === 0,
        defaultMessage: (args) => JSON.stringify(opcClientConfigErrors(args?.value)),
      },
    });
}

function opcClientConfigErrors(value: unknown): FieldError[] {
  const result = validateOpcClientConfig(value);
  if (!result.ok) return result.errors;
  return droppedKeyPaths(value, result.value).map((path) => ({
    path,
    message: 'is not a field of the OPC client config',
  }));
}

/**
 * The property may be left out; when given, its validators apply, so null is refused (unlike
 * class-validator's IsOptional, which lets null through as if the property were absent).
 */
export const IsOmittable = () =>
  ValidateIf((_object: unknown, value: unknown) => value !== undefined);

/** A flat map of label names to values, both safe as ids. */
export function IsLabels(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isLabels',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.keys(value).length <= 64 &&
          Object.entries(value).every(
            ([key, v]) => LABEL.test(key) && typeof v === 'string' && LABEL.test(v),
          ),
        defaultMessage: () =>
          `${propertyName} must be an object of at most 64 labels, names and values of 1-63 letters, digits, ".", "_" or "-"`,
      },
    });
}
/**
 * Fails when `other` is given too: the two properties are alternatives. With several others,
 * fails when any of them is given.
 */
export function IsAlternativeTo(other: string | readonly string[], options?: ValidationOptions) {
  const others = typeof other === 'string' ? [other] : other;
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isAlternativeTo',
      target: target.constructor,
      propertyName,
      constraints: [...others],
      options,
      validator: {
        validate: (_value: unknown, args?: ValidationArguments) =>
          others.every((name) => (args?.object as Record<string, unknown>)[name] === undefined),
        defaultMessage: () => `give either ${propertyName} or ${others.join(', ')}, not both`,
      },
    });
}

/** Fails when the property is given without `other`: it only means something with it. */
export function IsOnlyWith(other: string, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isOnlyWith',
      target: target.constructor,
      propertyName,
      constraints: [other],
      options,
      validator: {
        validate: (_value: unknown, args?: ValidationArguments) =>
          (args?.object as Record<string, unknown>)[other] !== undefined,
        defaultMessage: () => `${propertyName} goes with ${other}`,
      },
    });
}

export const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
