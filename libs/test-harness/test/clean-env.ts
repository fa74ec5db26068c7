// Imported first by this package's server tests: they exercise the harness's own child processes,
// so settings meant for other packages' test runs (an external server, containers, kept logs) must
// not leak in. Tests that need one of these set it themselves.
delete process.env.NATS_URL;
delete process.env.NATS_MONITOR_URL;
delete process.env.REDIS_URL;
delete process.env.TICKMESH_TESTCONTAINERS;
delete process.env.TICKMESH_KEEP_LOGS;
