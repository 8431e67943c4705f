//! The status page's (and the method browser's) stylesheet and scripts,
//! served from `/assets/` so the pages need no inline code (their CSP
//! allows none).

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const REFRESH_JS: &str = r#"
setInterval(async () => {
  const url = new URL(location.href);
  url.searchParams.set('partial', '1');
  try {
    const r = await fetch(url);
    if (r.ok) document.getElementById('live').innerHTML = await r.text();
  } catch (e) { /* keep the last view */ }
}, 2000);
"#;

const CSS: &str = r#"
:root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#6b7385; --line:#e3e6ec; --ok:#2e9d5b; --bad:#d64545; --warn:#d9961a; --accent:#3563e9; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; align-items:baseline; gap:12px; padding:18px 28px; background:#1d2330; color:#fff; }
header h1 { margin:0; font-size:20px; letter-spacing:.5px; }
header .sub { color:#aab3c5; }
header nav { margin-left:auto; display:flex; gap:16px; }
header nav a { color:#fff; }
main { max-width:1100px; margin:0 auto; padding:20px 28px 40px; }
h2 { font-size:15px; margin:0 0 10px; }
.filter { display:flex; gap:8px; margin-bottom:14px; }
.filter input { flex:1; max-width:320px; padding:7px 10px; border:1px solid var(--line); border-radius:6px; font:inherit; }
.filter button { padding:7px 14px; border:0; border-radius:6px; background:var(--accent); color:#fff; font:inherit; cursor:pointer; }
.banner { padding:10px 14px; border-radius:8px; margin-bottom:14px; }
.banner.bad { background:#fde8e8; border:1px solid #f3b4b4; color:#8a1f1f; }
.banner.warn { background:#fff5e0; border:1px solid #f0d08a; color:#7a5200; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px; margin-bottom:16px; }
.facts { display:grid; grid-template-columns:repeat(auto-fill, minmax(200px, 1fr)); gap:10px 18px; }
.fact { display:flex; flex-direction:column; }
.fact.wide { grid-column:1 / -1; }
.fact .name { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.4px; }
.fact .value { font-variant-numeric:tabular-nums; word-break:break-all; }
.bar { width:100%; height:8px; margin-top:4px; }
svg rect.ok { fill:var(--ok); } svg rect.failed { fill:var(--bad); } svg rect.refused { fill:var(--warn); } svg rect.none { fill:var(--line); }
svg { max-width:100%; height:auto; }
svg .axis { fill:var(--muted); font-size:10px; }
table { width:100%; border-collapse:collapse; }
th { text-align:left; color:var(--muted); font-weight:600; font-size:12px; border-bottom:1px solid var(--line); padding:6px 8px; }
td { border-bottom:1px solid var(--line); padding:6px 8px; vertical-align:top; }
td.key { font-weight:600; word-break:break-all; }
td.value code { font:12px/1.4 ui-monospace, Menlo, Consolas, monospace; word-break:break-all; }
td.num, td.time { white-space:nowrap; color:var(--muted); font-variant-numeric:tabular-nums; }
.count { color:var(--muted); font-weight:400; }
.empty { color:var(--muted); }
.tabs { display:flex; flex-wrap:wrap; gap:8px; }
.tab { display:flex; flex-direction:column; padding:6px 12px; border:1px solid var(--line, #ddd); border-radius:6px; color:inherit; text-decoration:none; }
.tab.current { border-color:var(--accent); box-shadow:inset 0 -2px 0 var(--accent); }
.tab .meta { font-size:12px; opacity:.75; }
.pager { display:flex; gap:14px; align-items:center; margin-top:10px; }
.pager a { color:var(--accent); text-decoration:none; }
section.method h2 code { font-size:14px; } section.method em { color:var(--accent); font-style:normal; }
form.try { display:flex; flex-wrap:wrap; gap:8px; align-items:center; }
form.try input { padding:5px 8px; border:1px solid var(--line); border-radius:6px; font:12px ui-monospace, Menlo, monospace; }
form.try button { padding:5px 12px; border:0; border-radius:6px; background:var(--accent); color:#fff; cursor:pointer; }
pre.out { background:#f3f5f8; border-radius:6px; padding:8px; font-size:12px; white-space:pre-wrap; margin:8px 0 0; }
pre.out:empty { display:none; }
"#;

/// The method browser's "Call" forms.
const TRY_JS: &str = r#"
document.querySelectorAll('form.try').forEach(form => {
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const out = form.nextElementSibling;
    // Params by name; an optional one left empty is left out.
    const params = {};
    try {
      for (const input of form.querySelectorAll('input')) {
        if (input.value === '' && input.hasAttribute('data-optional')) continue;
        params[input.name] = JSON.parse(input.value);
      }
    } catch (e) { out.textContent = 'Params must be JSON: ' + e.message; return; }
    const body = {jsonrpc: '2.0', method: form.dataset.method, params, id: Date.now()};
    try {
      const r = await fetch(location.pathname, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
      out.textContent = 'HTTP ' + r.status + '\n' + JSON.stringify(await r.json(), null, 2);
    } catch (e) { out.textContent = 'Request failed: ' + e.message; }
  });
});
"#;

/// `GET /assets/{file}`: the pages' stylesheet and scripts.
pub async fn asset(file: web::Path<String>) -> HttpResponse {
    let assets = [
        ("status.css", CSS),
        ("status.js", REFRESH_JS),
        ("methods.js", TRY_JS),
    ];
    serve_asset(&assets, &file)
}

/// The embedded asset named `file` among `assets` (typed by its
/// extension, cached for 5 minutes), or 404.
pub fn serve_asset(assets: &[(&str, &'static str)], file: &str) -> HttpResponse {
    let Some((name, body)) = assets.iter().find(|(name, _)| *name == file) else {
        return HttpResponse::NotFound().finish();
    };
    let kind = match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        _ => "text/javascript; charset=utf-8",
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(*body)
}
