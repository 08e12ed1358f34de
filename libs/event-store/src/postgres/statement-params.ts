/** The positional parameters of one statement, handed out as `$1`, `$2`... while it is built. */
export class StatementParams {
  readonly values: unknown[] = [];

  /** Adds a value; returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
