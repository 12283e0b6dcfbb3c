export { metricsRoute } from "./metrics.route";
export { createOriginMetrics, type OriginMetrics } from "./origin-metrics";
