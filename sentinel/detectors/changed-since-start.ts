// Remembers the first value it reads and tells whether a later one differs. It may start from a value
// remembered before this process started (the boot id kept on disk), so a change that happened while it was
// down counts too.

export class ChangedSinceStart {
  constructor(private first: string | null = null) {}

  /** null while nothing could be read yet; otherwise whether `current` differs from the first reading. */
  check(current: string | null): { changed: boolean; first: string } | null {
    if (current === null) return null;
    this.first ??= current;
    return { changed: current !== this.first, first: this.first };
  }
}
