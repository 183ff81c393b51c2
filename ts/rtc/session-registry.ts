/** What the registry needs of a session. */
export interface RegisteredSession {
  readonly id: string;
  readonly connectionState: string;
  readonly createdAt: number;
}

/**
 * The open sessions of a process, so they can be listed, counted and closed
 * (ghost sessions are a known trap: this makes them visible).
 */
export class SessionRegistry<S extends RegisteredSession = RegisteredSession> {
  private readonly sessions = new Map<string, S>();

  /** Adds a session. */
  add(session: S): void {
    this.sessions.set(session.id, session);
  }

  /** Removes a session; true if it was there. */
  delete(session: S): boolean {
    return this.sessions.delete(session.id);
  }

  /** The session with this id. */
  get(id: string): S | undefined {
    return this.sessions.get(id);
  }

  /** Open sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Every open session, oldest first. */
  list(): S[] {
    return [...this.sessions.values()];
  }
}
