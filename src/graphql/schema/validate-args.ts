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
  const known = Array.isArray(value) ? null : knownValid(value);
  if (known?.valid) return;
  try {
    if (Array.isArray(value)) {
      await Promise.all(value.filter(isObject).map((item) => validateOrReject(item, OPTIONS)));
    } else {
      await validateOrReject(value, OPTIONS);
    }
  } catch (errors) {
    throw new ArgumentValidationError(errors as ValidationError[]);
  }
  known?.remember();
}

/**
 * Arguments found valid, by class and then by value as JSON. A title page
 * validates the same arguments on every request (its slug), and
 * class-validator's walk over the decorators takes many times a lookup. The
 * class fixes how the value was built (nested inputs' classes follow from
 * its fields) and every rule here is a function of the value, so the same
 * class and JSON is the same verdict. Only valid values are kept (an invalid
 * one is validated again, to report its errors), only small ones, and a
 * class's set is emptied when full: a bound on memory.
 */
const VALID = new Map<unknown, Set<string>>();
const MAX_VALID_PER_CLASS = 10_000;
const MAX_KEPT_JSON_LENGTH = 512;

function knownValid(value: object): { valid: boolean; remember(): void } | null {
  const json = JSON.stringify(value);
  if (json.length > MAX_KEPT_JSON_LENGTH) return null;
  let valid = VALID.get(value.constructor);
  return {
    valid: valid?.has(json) ?? false,
    remember() {
      if (!valid) {
        valid = new Set();
        VALID.set(value.constructor, valid);
      }
      if (valid.size >= MAX_VALID_PER_CLASS) valid.clear();
      valid.add(json);
    },
  };
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
