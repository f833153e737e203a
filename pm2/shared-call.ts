// One call shared by concurrent callers, never answered with stale data: every caller gets the result of a
// run that started after it asked. While a run is in flight, callers that arrive share the next run, which
// starts when the current one ends. In an alert storm twenty incidents listing PM2 at once make two
// requests to the daemon, not twenty queued behind each other; a caller that has just restarted a process
// still sees the list taken after its restart.
export class FreshSharedCall<T> {
  private current: Promise<T> | null = null;
  private next: Promise<T> | null = null;

  constructor(private readonly run: () => Promise<T>) {}

  call(): Promise<T> {
    if (!this.current) return this.start();
    // Started before this caller asked: its answer may be stale for it. Share the run after it.
    this.next ??= this.current.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  private startNext(): Promise<T> {
    this.next = null;
    return this.start();
  }

  private start(): Promise<T> {
    const running = this.run().finally(() => {
      if (this.current === running) this.current = null;
    });
    this.current = running;
    return running;
  }
}
