import { validateOrReject, type ValidationError, type ValidatorOptions } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';

/** TypeGraphQL's defaults for `validate: true`: optional fields left out are not checked. */
const OPTIONS: ValidatorOptions = { skipMissingProperties: true, forbidUnknownValues: false };

/**
 * What TypeGraphQL's `validate: true` does to each argument (class-validator
 * on input objects, each item of a list; errors as ArgumentValidationError,
 * which format-error.ts reports as BAD_USER_INPUT naming the fields), with
 * class-validator loaded once: TypeGraphQL 2 `require`s it again on every
 * argument of every call, a module lookup per field that takes arguments.
 */
export async function validateArgs(value: unknown): Promise<void> {
  if (value === null || typeof value !== 'object') return;
  try {
    if (Array.isArray(value)) {
      await Promise.all(value.filter(isObject).map((item) => validateOrReject(item, OPTIONS)));
    } else {
      await validateOrReject(value, OPTIONS);
    }
  } catch (errors) {
    throw new ArgumentValidationError(errors as ValidationError[]);
  }
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/**
 * For an argument its resolver validates itself (e.g. list entries, so an
 * error can name its entry): with a global validateFn TypeGraphQL ignores
 * `validate: false`, so such an argument sets `validateFn` to this instead.
 */
export async function validatedByResolver(): Promise<void> {}
