/**
 * A one-line progress bar for a TTY stream (no dependency). Silent when the stream is not a TTY
 * or the work is short.
 */
export class ProgressBar {
  private lastDraw = 0;
  private shown = false;
  private readonly started = Date.now();
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly delayMs = 300,
  ) {}

  update(label: string, done: number, total: number): void {
    if (!this.stream.isTTY || total <= 0) return;
    const t = Date.now();
    if (t - this.started < this.delayMs || (t - this.lastDraw < 100 && done < total)) return;
    this.lastDraw = t;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 40));
    const frac = Math.min(1, done / total);
    const fill = Math.round(frac * width);
    const mb = (n: number): string => (n / 1048576).toFixed(0);
    this.stream.write(`\r${label.padEnd(6)} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(total)} MiB`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
