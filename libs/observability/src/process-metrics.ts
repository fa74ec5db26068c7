/**
 * Process metrics in the standard Prometheus client names, computed on scrape (no timers, nothing
 * on any hot path). Registered once per registry by the service shell.
 */
import { metrics as defaultRegistry, type MetricsRegistry } from './metrics';

const registered = new WeakSet<MetricsRegistry>();

export function registerProcessMetrics(registry: MetricsRegistry = defaultRegistry): void {
  if (registered.has(registry)) return;
  registered.add(registry);
  const cpu = registry.counter('process_cpu_seconds_total', 'user and system CPU time spent, seconds');
  const rss = registry.gauge('process_resident_memory_bytes', 'resident set size, bytes');
  const heap = registry.gauge('nodejs_heap_used_bytes', 'V8 heap used, bytes');
  const start = registry.gauge('process_start_time_seconds', 'process start time, unix seconds');
  const startedAt = Math.round(Date.now() / 1000 - process.uptime());
  const cpuChild = cpu.labels();
  registry.onCollect(() => {
    const u = process.cpuUsage();
    cpuChild.value = (u.user + u.system) / 1e6;
    const m = process.memoryUsage();
    rss.set(m.rss);
    heap.set(m.heapUsed);
    start.set(startedAt);
  });
}
