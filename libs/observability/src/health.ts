/**
 * Readiness with reasons: each component (nats, redis, venue feed, ...) reports whether it is
 * ready and why not. /readyz is ready iff every registered component is.
 */
export interface ComponentHealth {
  ready: boolean;
  reason: string;
  since: number;
}

export class HealthState {
  private readonly components = new Map<string, ComponentHealth>();
  private shuttingDown = false;

  set(component: string, ready: boolean, reason = ''): void {
    const prev = this.components.get(component);
    if (prev !== undefined && prev.ready === ready && prev.reason === reason) return;
    this.components.set(component, { ready, reason, since: Date.now() });
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  readiness(): { ready: boolean; components: Record<string, ComponentHealth> } {
    const components = Object.fromEntries(this.components);
    let ready = !this.shuttingDown;
    for (const c of this.components.values()) ready &&= c.ready;
    if (this.shuttingDown)
      components['process'] = { ready: false, reason: 'shutting down', since: Date.now() };
    return { ready, components };
  }
}

export const health = new HealthState();
