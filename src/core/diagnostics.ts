/**
 * Non-fatal oddities found while reading or writing. Library code never prints: it records
 * here, and the CLI decides what to show. Bounded so a hostile file cannot make it grow forever.
 */
export class Diagnostics {
  static readonly MAX = 1000;
  readonly items: string[] = [];
  private dropped = 0;

  add(message: string): void {
    if (this.items.length < Diagnostics.MAX) this.items.push(message);
    else this.dropped++;
  }

  list(): string[] {
    return this.dropped > 0 ? [...this.items, `(${this.dropped} more diagnostics not kept)`] : [...this.items];
  }
}
