// Remembers the first value it reads and tells whether a later one differs. The reboot detector persists
// nothing on purpose: a value kept across its own restarts could be stale or belong to another node.

export class ChangedSinceStart {
  private first: string | null = null;

  /** null while nothing could be read yet; otherwise whether `current` differs from the first reading. */
  check(current: string | null): { changed: boolean; first: string } | null {
    if (current === null) return null;
    this.first ??= current;
    return { changed: current !== this.first, first: this.first };
  }
}
