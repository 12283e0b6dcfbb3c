import type { DashboardWindow } from "./dashboard-window";

/**
 * `GET /admin/api/metrics?window=`: chart-ready series, so the dashboard stays a thin renderer.
 * Values line up with `times` (epoch seconds at which each point's `step_seconds` start); null
 * where nothing was recorded.
 */
export interface DashboardData {
  generated_at: string;
  window: DashboardWindow;
  step_seconds: number;
  times: number[];
  charts: DashboardChart[];
  trending: TrendingRegion[];
}

export interface DashboardChart {
  id: string;
  title: string;
  unit: string;
  series: { label: string; values: (number | null)[] }[];
}

export interface TrendingRegion {
  region: string;
  top: { id: string; score: number; caption: string; creator_id: string }[];
}
