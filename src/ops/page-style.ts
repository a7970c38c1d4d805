/** The status page's stylesheet: system fonts, no assets, readable from 360 px to a wide laptop. */
export const PAGE_STYLE = `
:root {
  color-scheme: light;
  --ok: #13703a; --ok-bg: #e3f4e8; --bad: #a3191f; --bad-bg: #fde8e8;
  --warn: #8a5a00; --warn-bg: #fff4d6; --muted: #5b6470; --line: #d9dde3; --card: #ffffff;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  background: #f3f5f8; color: #1b1f24;
}
* { box-sizing: border-box; }
body { margin: 0; padding: 16px clamp(12px, 3vw, 32px) 32px; }
.banner { border-radius: 10px; padding: 14px 18px; margin-bottom: 14px; border: 2px solid var(--line); background: #eceff3; }
.banner .title { font-size: 1.6rem; font-weight: 700; }
.banner.ok { background: var(--ok-bg); border-color: var(--ok); color: var(--ok); }
.banner.bad, .banner.down { background: var(--bad-bg); border-color: var(--bad); color: var(--bad); }
.banner ul { margin: 6px 0 0; padding-left: 1.2em; font-size: 1.05rem; color: #1b1f24; }
.directions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }
.chip { border-radius: 999px; padding: 2px 10px; font-size: 0.9rem; border: 1px solid currentColor; background: #fff; }
.chip.yes { color: var(--ok); } .chip.no { color: var(--bad); }
header h1 { margin: 0; font-size: 1.5rem; }
header .meta { color: var(--muted); margin: 2px 0 14px; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap: 14px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; min-width: 0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 1.05rem; margin: 0 0 8px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px 4px 0; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 0.85rem; }
td.num, th.num { text-align: right; }
td.wrap { white-space: normal; }
.empty { color: var(--muted); }
.badge { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 0.85rem; font-weight: 600; }
.badge.good { background: var(--ok-bg); color: var(--ok); }
.badge.poor { background: var(--warn-bg); color: var(--warn); }
.badge.fail { background: var(--bad-bg); color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 320px), 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card h3 { margin: 0 0 6px; font-size: 1rem; display: flex; justify-content: space-between; gap: 8px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(92px, 1fr)); gap: 4px 10px; margin: 0 0 8px; }
.figures div { display: flex; flex-direction: column; }
.figures dt { color: var(--muted); font-size: 0.8rem; }
.figures dd { margin: 0; font-size: 1.15rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.graph { display: grid; grid-template-columns: 7.5em 1fr; align-items: center; gap: 8px; font-size: 0.8rem; color: var(--muted); }
svg.spark { width: 100%; height: 36px; background: #f7f8fa; border-radius: 4px; }
svg.spark path { fill: none; stroke: #2463b0; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.error-line { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9rem; overflow-wrap: anywhere; }
`;
