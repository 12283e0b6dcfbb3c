/**
 * `GET /admin/api/metrics`: chart-ready series, so the dashboard stays a thin renderer. Values
 * line up with `minutes` (epoch seconds of each UTC minute); null where nothing was recorded.
 */
export interface DashboardData {
  generated_at: string;
  minutes: number[];
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
