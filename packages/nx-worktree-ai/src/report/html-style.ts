/** The report page's stylesheet, inlined into it (the page loads nothing). */
export const CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f6f7fb; --panel: #fff; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1440px; padding: 28px 32px 40px; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header h1 { margin: 0; font-size: 22px; font-weight: 650; letter-spacing: -0.01em; }
header .ws { color: var(--muted); font-weight: 500; margin-left: 6px; }
.meta { margin: 4px 0 18px; color: var(--muted); }
code { font: 12.5px/1.3 ui-monospace, SFMono-Regular, Menlo, "DejaVu Sans Mono", monospace; }
.cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.card .value { font-size: 22px; font-weight: 650; margin: 2px 0; }
.card .sub { color: var(--muted); font-size: 12px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px 16px; margin-bottom: 16px; }
.panel h2 { margin: 0 0 8px; font-size: 15px; font-weight: 650; }
.panel h2 .when { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 8px; }
.legend { display: flex; gap: 16px; color: var(--muted); font-size: 12px; margin-bottom: 4px; }
.legend .key i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
svg.chart { display: block; font-size: 13px; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .name { fill: var(--fg); font-weight: 500; }
svg .dur { fill: var(--muted); font-size: 11px; }
svg .stripe { fill: #fafbfd; }
.scroll { overflow-x: auto; }
table.batches { width: 100%; border-collapse: collapse; font-size: 13px; }
table.batches th { text-align: left; color: var(--muted); font-weight: 500; font-size: 12px; border-bottom: 1px solid var(--line); padding: 6px 6px; white-space: nowrap; }
table.batches td { padding: 7px 6px; border-bottom: 1px solid var(--line); vertical-align: middle; white-space: nowrap; }
.links { font-size: 12px; margin-top: 1px; }
table.batches tfoot td { font-weight: 650; border-bottom: none; border-top: 2px solid var(--line); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; }
.pill.succeeded { background: #1f9d55; } .pill.replayed { background: #5b6ee1; } .pill.failed { background: #d64545; }
.pill.empty { background: #c27c0e; } .pill.interrupted { background: #7a7a8c; }
.costbar { display: inline-block; height: 8px; background: #f0b429; border-radius: 2px; margin-right: 6px; vertical-align: 0; }
.diff { color: var(--muted); font-size: 12px; }
.links a { color: #2f5bd3; text-decoration: none; } .links a:hover { text-decoration: underline; }
tr.error-row td { white-space: normal; color: #a12020; background: #fff5f5; font-size: 12.5px; }
.note, .warn, .empty { color: var(--muted); font-size: 12px; margin: 10px 0 0; }
.warn { color: #a15c00; }
.scripted { margin: -8px 0 18px; padding: 8px 12px; border-radius: 8px; background: #fff8e1; color: #7a5200; font-size: 13px; }
h2.run-title { margin: 22px 0 10px; font-size: 17px; font-weight: 650; }
h2.run-title .when { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 8px; }
@media (max-width: 1100px) { .cards { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
`;
