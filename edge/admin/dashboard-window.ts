/**
 * The windows the dashboard offers (`?window=`): how far back, the minutes each point sums, and
 * how often the page asks again. A day is 144 ten-minute points: the page stays readable, and a
 * point that moves only every ten minutes needs no refresh every 10 s (each reads 1,440 hashes).
 */
export const DASHBOARD_WINDOWS = {
  "15m": { label: "15 min", minutes: 15, stepMinutes: 1, refreshSeconds: 10 },
  "1h": { label: "1 h", minutes: 60, stepMinutes: 1, refreshSeconds: 10 },
  "24h": { label: "24 h", minutes: 1440, stepMinutes: 10, refreshSeconds: 60 },
} as const;

export type DashboardWindow = keyof typeof DASHBOARD_WINDOWS;

export const DEFAULT_WINDOW: DashboardWindow = "1h";

export const WINDOW_NAMES = Object.keys(DASHBOARD_WINDOWS) as DashboardWindow[];

export function isDashboardWindow(name: string | null | undefined): name is DashboardWindow {
  return WINDOW_NAMES.some((window) => window === name);
}
