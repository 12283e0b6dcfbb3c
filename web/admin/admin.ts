import uPlot from "uplot";
import type {
  DashboardChart,
  DashboardData,
  TrendingRegion,
} from "../../edge/admin/dashboard.types";
import {
  DASHBOARD_WINDOWS,
  DEFAULT_WINDOW,
  isDashboardWindow,
  WINDOW_NAMES,
} from "../../edge/admin/dashboard-window";

const PALETTE = [
  "#2f7ed8",
  "#f45b5b",
  "#8bbc21",
  "#910000",
  "#1aadce",
  "#492970",
  "#f28f43",
  "#77a1e5",
];
const HEIGHT = 180;

const grid = document.getElementById("charts")!;
const trending = document.getElementById("trending")!;
const updated = document.getElementById("updated")!;
const windows = document.getElementById("windows")!;
const plots = new Map<string, uPlot>();
// `/admin?window=24h` shows the last day; the page passes an unknown window on, to the API's 400.
const requested = new URLSearchParams(location.search).get("window");
const shown = isDashboardWindow(requested) ? requested : DEFAULT_WINDOW;
const api = `/admin/api/metrics${requested === null ? "" : `?window=${encodeURIComponent(requested)}`}`;

function drawWindowLinks(): void {
  windows.replaceChildren(
    ...WINDOW_NAMES.map((name) => {
      const link = document.createElement("a");
      link.href = `/admin?window=${name}`;
      link.textContent = DASHBOARD_WINDOWS[name].label;
      if (name === shown) link.setAttribute("aria-current", "page");
      return link;
    }),
  );
}

function points(chart: DashboardChart): number {
  return chart.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
}

function options(chart: DashboardChart, width: number): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    // Per-minute data arrive sparse; points make a lone minute visible where a line could not.
    series: [
      {},
      ...chart.series.map((s, i) => ({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        points: { show: true, size: 4 },
        value: (_: uPlot, v: number | null) =>
          v === null ? "–" : `${+v.toFixed(2)} ${chart.unit}`,
      })),
    ],
    axes: [
      { stroke: "#aaa", grid: { stroke: "#333" } },
      { stroke: "#aaa", grid: { stroke: "#333" } },
    ],
    // Shares are read against the whole 0–100 scale, not zoomed to whatever range they span.
    scales: { x: { time: true }, ...(chart.unit === "%" ? { y: { range: [0, 100] } } : {}) },
  };
}

function draw(data: DashboardData): void {
  for (const chart of data.charts) {
    const rows: uPlot.AlignedData = [data.times, ...chart.series.map((s) => s.values)];
    let plot = plots.get(chart.id);
    let box = document.querySelector<HTMLElement>(`[data-chart="${chart.id}"]`);
    if (!box) {
      box = document.createElement("section");
      box.className = "chart";
      box.dataset.chart = chart.id;
      box.innerHTML = `<h2></h2>`;
      box.querySelector("h2")!.textContent = `${chart.title} (${chart.unit})`;
      grid.append(box);
    }
    if (!plot) {
      plot = new uPlot(options(chart, box.clientWidth - 16), rows, box);
      plots.set(chart.id, plot);
    } else {
      plot.setData(rows);
    }
    box.dataset.points = String(points(chart));
  }
  drawTrending(data.trending);
  updated.textContent = `updated ${new Date(data.generated_at).toLocaleTimeString()}`;
}

function drawTrending(regions: TrendingRegion[]): void {
  trending.replaceChildren(
    ...regions.map((region) => {
      const table = document.createElement("table");
      table.dataset.region = region.region;
      const caption = table.createCaption();
      caption.textContent = `Trending in ${region.region}`;
      for (const [rank, video] of region.top.entries()) {
        const row = table.insertRow();
        for (const text of [
          `${rank + 1}`,
          video.caption || video.id,
          `@${video.creator_id}`,
          video.score.toFixed(1),
        ]) {
          row.insertCell().textContent = text;
        }
      }
      return table;
    }),
  );
  if (regions.length === 0) trending.textContent = "No trending videos yet.";
}

async function refresh(): Promise<void> {
  try {
    const response = await fetch(api, { credentials: "same-origin" });
    // The sign-in cookie expired: back to the sign-in form.
    if (response.status === 401) location.assign("/admin");
    if (!response.ok) {
      const body = (await response.json().catch(() => null)) as {
        error?: { message?: string };
      } | null;
      throw new Error(`metrics: ${response.status} ${body?.error?.message ?? ""}`);
    }
    draw((await response.json()) as DashboardData);
  } catch (error) {
    updated.textContent = `refresh failed: ${error instanceof Error ? error.message : error}`;
  }
}

addEventListener("resize", () => {
  for (const [id, plot] of plots) {
    const box = document.querySelector<HTMLElement>(`[data-chart="${id}"]`);
    if (box) plot.setSize({ width: box.clientWidth - 16, height: HEIGHT });
  }
});

drawWindowLinks();
void refresh();
setInterval(() => void refresh(), DASHBOARD_WINDOWS[shown].refreshSeconds * 1000);
