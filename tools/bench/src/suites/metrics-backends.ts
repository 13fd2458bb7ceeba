/** The stores the metrics suite's joins part runs on (kept apart so the CLI parser loads no driver). */
export const METRICS_BACKENDS = ['sqlite', 'postgres'] as const;
export type MetricsBackend = (typeof METRICS_BACKENDS)[number];
