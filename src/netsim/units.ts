/**
 * Time in the simulator: whole microseconds as a plain number, branded so a millisecond count or a
 * wall-clock reading cannot be passed by mistake. The brand is the structural `{ __brand: 'Micros' }`
 * so another module's identically-declared `Micros` is the same type.
 */
export type Micros = number & { readonly __brand: 'Micros' };

/** A whole number of microseconds; throws `RangeError` for anything else. */
export function micros(value: number): Micros {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`micros: expected a whole number of microseconds, got ${value}`);
  }
  return value as Micros;
}

/** Milliseconds to `Micros`, rounded to the nearest microsecond. */
export function millis(value: number): Micros {
  return micros(Math.round(value * 1_000));
}

/** Seconds to `Micros`, rounded to the nearest microsecond. */
export function seconds(value: number): Micros {
  return micros(Math.round(value * 1_000_000));
}
