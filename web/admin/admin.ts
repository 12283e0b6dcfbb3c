import uPlot from "uplot";
import type {
  DashboardChart,
  DashboardData,
  TrendingRegion,
} from "../../edge/admin/dashboard.types";

const REFRESH_MS = 10_000;
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
const plots = new Map<string, uPlot>();
// `/admin?minutes=15` zooms in; the API clamps it.
const minutes = new URLSearchParams(location.search).get("minutes");
const api = `/admin/api/metrics${minutes ? `?minutes=${encodeURIComponent(minutes)}` : ""}`;

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
    const rows: uPlot.AlignedData = [data.minutes, ...chart.series.map((s) => s.values)];
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
    if (!response.ok) throw new Error(`metrics: ${response.status}`);
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

void refresh();
setInterval(() => void refresh(), REFRESH_MS);
