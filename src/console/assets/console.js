// syncdict console: the JSON editor, staged changes and their diff.
// Staged edits live in this tab (sessionStorage) until published as one
// change set; nothing is written before "Publish".
"use strict";
(function () {

// A line diff (longest common subsequence) of two texts.
function diff(a, b) {
  const x = a === null ? [] : a.split("\n"), y = b === null ? [] : b.split("\n");
  const n = x.length, m = y.length, lcs = [];
  // Bounded: past 4 million cells (two values of 2,000 lines), all of a
  // out and all of b in.
  if (n * m > 4000000) return x.map((l) => ["-", l]).concat(y.map((l) => ["+", l]));
  for (let i = 0; i <= n; i++) lcs.push(new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--)
    lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { out.push([" ", x[i]]); i++; j++; }
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) { out.push(["-", x[i]]); i++; }
    else { out.push(["+", y[j]]); j++; }
  }
  return out;
}
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// Writes `diff(a, b)` into `pre`.
function showDiff(pre, a, b) {
  pre.textContent = "";
  for (const [mark, line] of diff(a, b)) {
    pre.append(el("span", mark === "+" ? "add" : mark === "-" ? "del" : "", mark + " " + line));
  }
}

// A key's history: the diff between the writes picked as A and B.
(function () {
  const writes = document.getElementById("writes");
  if (!writes) return;
  const rows = writes.querySelectorAll("tbody tr");
  function update() {
    const a = writes.querySelector('input[name="a"]:checked');
    const b = writes.querySelector('input[name="b"]:checked');
    const value = (input) => {
      if (!input) return null;
      const v = rows[Number(input.value)].dataset.value;
      return v === "" ? null : v;
    };
    showDiff(document.getElementById("diff-out"), value(a), value(b));
  }
  writes.addEventListener("change", update);
  update();
})();

// Import: a chosen file is read into the form (its format from its name).
(function () {
  const file = document.getElementById("import-file");
  if (!file) return;
  file.addEventListener("change", () => {
    const f = file.files[0];
    if (!f) return;
    const ext = f.name.split(".").pop().toLowerCase();
    const format = { json: "json", ndjson: "ndjson", jsonl: "ndjson", csv: "csv" }[ext];
    if (format) document.getElementById("import-format").value = format;
    f.text().then((text) => { document.getElementById("import-data").value = text; });
  });
})();

// Copy buttons: data-copy names the element whose text is copied.
(function () {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", () => {
      const text = document.getElementById(button.dataset.copy).textContent;
      navigator.clipboard.writeText(text).then(() => { button.textContent = "Copied"; },
        () => { button.textContent = "Select and copy it"; });
    });
  }
})();

// A rollback's preview: each key's diff from now to then.
(function () {
  for (const item of document.querySelectorAll("#rollback-preview .staged-item")) {
    const d = item.dataset;
    showDiff(item.querySelector("pre.diff"), "before" in d ? d.before : null, "after" in d ? d.after : null);
  }
})();

// Times as "12 s ago" (the exact time stays in the title, shown on hover).
(function () {
  function ago(ms) {
    const s = Math.round(ms / 1000);
    if (s < 0) return "in " + ago(-ms).replace(" ago", "");
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }
  function update() {
    for (const t of document.querySelectorAll("time[datetime]")) {
      const at = Date.parse(t.getAttribute("datetime"));
      if (!isNaN(at)) t.textContent = ago(Date.now() - at);
    }
  }
  update();
  setInterval(update, 10000);
})();

(function () {
  const records = document.getElementById("records");
  const editor = document.getElementById("editor");
  if (!records || !editor) return;
  const ns = records.dataset.namespace;
  const pageRevision = Number(records.dataset.revision);
  const csrf = document.getElementById("main").dataset.csrf;
  // A secret namespace: values are sealed here, at publish, and never sent
  // (nor checked by the center) in plaintext; current values are not known.
  const recipient = records.dataset.recipient || "";
  const storeKey = "syncdict.staged." + ns;
  const $ = (id) => document.getElementById(id);

  const params = new URLSearchParams(location.search);
  if (params.has("published")) sessionStorage.removeItem(storeKey);

  function load() {
    try { return JSON.parse(sessionStorage.getItem(storeKey)) || null; } catch (e) { return null; }
  }
  function save(staged) {
    if (!staged || (Object.keys(staged.upserts).length === 0 && staged.deletes.length === 0)) {
      sessionStorage.removeItem(storeKey);
    } else {
      sessionStorage.setItem(storeKey, JSON.stringify(staged));
    }
    render();
  }
  function staged() {
    return load() || { base: pageRevision, upserts: {}, deletes: [] };
  }

  // --- the editor -------------------------------------------------------
  const keyInput = $("edit-key"), valueInput = $("edit-value"), errors = $("edit-errors");
  function open(key, value) {
    editor.hidden = false;
    keyInput.value = key;
    keyInput.readOnly = key !== "";
    valueInput.value = value;
    errors.textContent = "";
    (key === "" ? keyInput : valueInput).focus();
  }
  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }
  // Where a JSON syntax error is, as "line L, column C".
  function syntaxError(text) {
    try { JSON.parse(text); return null; } catch (e) {
      const m = /position (\d+)/.exec(e.message);
      if (!m) return e.message;
      const before = text.slice(0, Number(m[1])).split("\n");
      return "JSON syntax error at line " + before.length + ", column " + (before[before.length - 1].length + 1) + ": " + e.message;
    }
  }
  valueInput.addEventListener("input", () => { errors.textContent = syntaxError(valueInput.value) || ""; });
  $("new-record").addEventListener("click", () => open("", ""));
  $("cancel-edit").addEventListener("click", () => { editor.hidden = true; });
  records.addEventListener("click", (ev) => {
    const edit = ev.target.closest("[data-edit]");
    const del = ev.target.closest("[data-delete]");
    if (edit) {
      const row = edit.closest("tr");
      const s = staged();
      const key = edit.dataset.edit;
      const current = key in s.upserts ? JSON.stringify(s.upserts[key]) : row.dataset.value;
      open(key, current === undefined ? "" : pretty(current));
    } else if (del) {
      const s = staged();
      const key = del.dataset.delete;
      delete s.upserts[key];
      if (!s.deletes.includes(key)) s.deletes.push(key);
      save(s);
    }
  });
  editor.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const key = keyInput.value;
    const bad = syntaxError(valueInput.value);
    if (bad) { errors.textContent = bad; valueInput.focus(); return; }
    if (key === "") { errors.textContent = "A key is needed (1 to 255 bytes)."; keyInput.focus(); return; }
    const value = JSON.parse(valueInput.value);
    // The center's own rules (key, schema), checked without writing anything.
    const reply = recipient ? null : await fetch("/console/ns/" + encodeURIComponent(ns) + "/check", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ key: key, value: value }),
    });
    if (reply && reply.status === 401) { location.reload(); return; }
    const checked = reply ? await reply.json() : {};
    if (checked.errors && checked.errors.length) {
      errors.textContent = "Not staged: " + checked.errors.join("\n");
      return;
    }
    const s = staged();
    s.upserts[key] = value;
    s.deletes = s.deletes.filter((k) => k !== key);
    save(s);
    editor.hidden = true;
  });

  // --- staged changes and their diff ------------------------------------
  const before = {};
  async function current(key) {
    if (key in before) return before[key];
    const row = records.querySelector('tr[data-key="' + CSS.escape(key) + '"]');
    if (row && recipient) return (before[key] = JSON.stringify("(sealed)"));
    if (row) return (before[key] = row.dataset.value);
    if (recipient) return (before[key] = null);
    const reply = await fetch("/console/ns/" + encodeURIComponent(ns) + "/value?key=" + encodeURIComponent(key),
      { credentials: "same-origin", headers: { "Accept": "application/json" } });
    const found = reply.ok ? await reply.json() : { found: false };
    return (before[key] = found.found ? JSON.stringify(found.record.value) : null);
  }
  async function render() {
    const s = load();
    const card = $("staged-card"), list = $("staged");
    const keys = s ? Object.keys(s.upserts).concat(s.deletes) : [];
    card.hidden = keys.length === 0;
    list.textContent = "";
    if (!s) return;
    $("staged-count").textContent = "(" + keys.length + ")";
    $("publish-button").textContent = "Publish " + keys.length + (keys.length === 1 ? " change" : " changes");
    $("propose-button").textContent = "Propose " + keys.length + (keys.length === 1 ? " change" : " changes") + " for review";
    $("publish-base").value = s.base;
    $("publish-changes").value = JSON.stringify({ upserts: s.upserts, deletes: s.deletes });
    for (const key of keys.sort()) {
      const old = await current(key);
      const next = key in s.upserts ? JSON.stringify(s.upserts[key], null, 2) : null;
      const kind = next === null ? "delete" : old === null ? "add" : "change";
      const item = el("div", "staged-item");
      const head = el("header");
      const title = el("div");
      title.append(el("span", "kind " + kind, kind), el("code", null, key));
      const undo = el("button", "link", "Unstage");
      undo.type = "button";
      undo.addEventListener("click", () => {
        const t = staged();
        delete t.upserts[key];
        t.deletes = t.deletes.filter((k) => k !== key);
        save(t);
      });
      head.append(title, undo);
      const pre = el("pre", "diff");
      showDiff(pre, old === null ? null : pretty(old), next);
      item.append(head, pre);
      list.append(item);
    }
  }
  // The comment is kept with the staged set (a conflict reloads the page).
  const comment = $("comment");
  comment.addEventListener("input", () => {
    const s = load();
    if (s) { s.comment = comment.value; sessionStorage.setItem(storeKey, JSON.stringify(s)); }
  });
  const kept = load();
  if (kept && kept.comment && !comment.value) comment.value = kept.comment;
  $("discard").addEventListener("click", () => save(null));
  // Sealed at the last moment: each staged value becomes the armored age
  // file of {ns, key, value} for the namespace's recipient.
  let sealedSet = false;
  $("publish").addEventListener("submit", async (ev) => {
    if (!recipient || sealedSet) return;
    ev.preventDefault();
    const s = staged();
    const upserts = {};
    for (const key of Object.keys(s.upserts)) {
      const envelope = JSON.stringify({ ns: ns, key: key, value: s.upserts[key] });
      upserts[key] = await window.syncdictAge.seal(recipient, envelope);
    }
    $("publish-changes").value = JSON.stringify({ upserts: upserts, deletes: s.deletes });
    sealedSet = true;
    ev.target.requestSubmit(ev.submitter);
  });
  const rebase = $("rebase");
  if (rebase) rebase.addEventListener("click", () => {
    const s = staged();
    s.base = pageRevision;
    save(s);
    $("publish").requestSubmit();
  });
  render();
})();
})();

// A proposal was made from the staged set: it is no longer staged.
(function () {
  const proposed = document.querySelector("[data-proposed-ns]");
  if (proposed) sessionStorage.removeItem("syncdict.staged." + proposed.dataset.proposedNs);
})();
