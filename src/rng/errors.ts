/** A bad argument to the generator: a seed that is not a 32-bit integer, a bound out of range. */
export class RngArgumentError extends RangeError {
  override readonly name = 'RngArgumentError';
  readonly argument: string;

  constructor(argument: string, reason: string) {
    super(`rng: ${argument}: ${reason}`);
    this.argument = argument;
  }
}
