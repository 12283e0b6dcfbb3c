export { serveClusterMetrics } from "./cluster-metrics";
export { metricsRoute, WORKER_HEADER } from "./metrics.route";
export { createOriginMetrics, type OriginMetrics } from "./origin-metrics";
