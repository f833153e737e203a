// Per-instance state that belongs to one process: when PM2 restarts an instance its pid changes and
// whatever was learned about the old process (RSS history, a CPU streak) no longer says anything.

export class PerProcess<T> {
  private readonly states = new Map<number, { pid: number; state: T }>();

  constructor(private readonly fresh: () => T) {}

  /** The state of `instance`, started over when its pid is not the one the state was built for. */
  get(instance: number, pid: number): T {
    const known = this.states.get(instance);
    if (known && known.pid === pid) return known.state;
    const state = this.fresh();
    this.states.set(instance, { pid, state });
    return state;
  }

  set(instance: number, pid: number, state: T): void {
    this.states.set(instance, { pid, state });
  }

  /** Forgets instances PM2 no longer lists, so a scaled-down app does not leak detector memory. */
  keepOnly(instances: ReadonlySet<number>): void {
    for (const instance of this.states.keys()) if (!instances.has(instance)) this.states.delete(instance);
  }
}
