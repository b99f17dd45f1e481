/**
 * Error types. Every message names the op or option, what was expected and what was given,
 * and where possible what to do about it.
 */

/** Bad argument, shape, dtype or config value passed by the caller. */
export class IndrnnError extends Error {
  override name = 'IndrnnError';
}

/** A backend does not implement a kernel; raised instead of silently falling back. */
export class UnsupportedKernelError extends IndrnnError {
  override name = 'UnsupportedKernelError';
  constructor(
    readonly kernel: string,
    readonly backend: string,
  ) {
    super(`kernel '${kernel}' is not implemented on backend '${backend}'`);
  }
}

/** Formats a shape the way messages print it: [2, 3, 4]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function fail(message: string): never {
  throw new IndrnnError(message);
}

/** Throws unless `value` is an integer >= min. */
export function checkInt(where: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(`${where}: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number within [min, max]. */
export function checkNumber(
  where: string,
  name: string,
  value: unknown,
  min = -Infinity,
  max = Infinity,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = `${min === -Infinity ? '' : `>= ${min}`}${min !== -Infinity && max !== Infinity ? ' and ' : ''}${max === Infinity ? '' : `<= ${max}`}`;
    fail(`${where}: ${name} must be a finite number${range ? ' ' + range : ''}, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is one of `choices`. */
export function checkChoice<T extends string>(
  where: string,
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    fail(`${where}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
