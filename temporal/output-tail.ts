/** The last lines a child process printed, kept so failures can show them without buffering everything. */
export class OutputTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly maxLines: number) {}

  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((line) => line.trim() !== ''));
    this.lines.splice(0, Math.max(0, this.lines.length - this.maxLines));
  }

  text(): string {
    return [...this.lines, this.partial].filter(Boolean).join('\n');
  }
}
