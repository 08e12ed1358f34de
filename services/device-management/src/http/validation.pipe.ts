import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { FieldError } from '@opcfleet/contracts';
import { OPC_CLIENT_CONFIG_CONSTRAINT } from './schema-validators';

/** Flattens class-validator's tree into dotted paths, one entry per failed constraint. */
export function fieldErrorsOf(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).flatMap(([name, message]) =>
      name === OPC_CLIENT_CONFIG_CONSTRAINT
        ? (JSON.parse(message) as FieldError[]).map((inner) => ({
            path: inner.path === '(root)' ? path : `${path}.${inner.path}`,
            message: inner.message,
          }))
        : [{ path, message }],
    );
    return [...own, ...fieldErrorsOf(error.children ?? [], path)];
  });
}

/** 400 with every failing field; unknown fields are refused rather than silently dropped. */
export const requestValidationPipe = () =>
  new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => invalidInput(fieldErrorsOf(errors)),
  });

/** The 400 of a request with failing fields, whichever check found them. */
export const invalidInput = (fieldErrors: FieldError[]) =>
  new BadRequestException({
    error: 'invalid_input',
    message: 'the request is invalid; see fieldErrors',
    fieldErrors,
  });
