/* 规则编辑: packs → tables → rows as an editable grid over /api/v1/rules (session cookie + CSRF
   header). Every check, trial, replay and publish is the server's; this script only shows them.
   No library, no CDN: plain DOM, text set with textContent (never HTML from data). */
(function () {
  "use strict";
  var app = document.getElementById("rules-app");
  if (!app) return;
  var API = "/api/v1/rules";
  var CSRF = app.dataset.csrf, ME = app.dataset.user, APPROVAL = app.dataset.approval === "true";
  var STATUS = { editing: "编辑中", submitted: "待审核", approved: "已审核", published: "已发布", discarded: "已放弃" };
  var S = { draft: null, packs: [], pack: 0, table: 0, dirty: {}, problems: {}, servingVersion: null, lintTimer: null, lintSeq: 0 };

  function $(sel) { return app.querySelector(sel); }
  function field(name) { return app.querySelector('[data-field="' + name + '"]'); }
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") el.textContent = v;
      else if (k === "cls") el.className = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) el.appendChild(typeof x === "string" ? document.createTextNode(x) : x); });
      else el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function flash(text, bad) {
    var f = field("flash"); f.textContent = text || ""; f.className = "flash" + (bad ? " bad" : text ? " good" : "");
  }
  function api(method, path, body, isForm) {
    var opts = { method: method, headers: { "X-CSRF-Token": CSRF, "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      if (isForm) opts.body = body;
      else { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    }
    return fetch(API + path, opts).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        if (!r.ok) {
          var err = new Error((data && data.error && data.error.message) || ("请求失败（" + r.status + "）"));
          err.status = r.status; err.body = data && data.error; throw err;
        }
        return data;
      });
    });
  }
  function busy(btn, on) { if (btn) { btn.disabled = on; btn.classList.toggle("busy", on); } }

  // ---------------------------------------------------------------- state helpers
  function editable() { return !!(S.draft && S.draft.owner === ME && ["editing", "submitted", "approved"].indexOf(S.draft.status) >= 0); }
  function curPack() { return S.packs[S.pack] || null; }
  function curTable() { var p = curPack(); return p ? p.tables[S.table] || null : null; }
  function key(p, t) { return p.id + "/" + t.id; }
  function dirtyTables() {
    var out = [];
    S.packs.forEach(function (p) { p.tables.forEach(function (t) {
      if (S.dirty[key(p, t)]) out.push({ pack: p.id, table: t.id, rows: t.rows });
    }); });
    return out;
  }
  function isDirty() { return Object.keys(S.dirty).length > 0; }

  // ---------------------------------------------------------------- loading
  function loadAll() {
    return Promise.all([api("GET", "/versions"), api("GET", "/drafts")]).then(function (res) {
      renderVersions(res[0]);
      S.servingVersion = res[0].length ? res[0][0] : null;
      var mine = res[1].filter(function (d) { return d.owner === ME; });
      renderOthers(res[1].filter(function (d) { return d.owner !== ME; }));
      if (mine.length) return openDraft(mine[0].id);
      return api("GET", "/tables").then(function (body) { S.draft = null; setPacks(body.packs); });
    }).catch(function (e) { flash(e.message, true); });
  }
  function openDraft(id) {
    return api("GET", "/drafts/" + id).then(function (d) {
      S.draft = d; S.dirty = {}; S.problems = {}; setPacks(d.packs); lintAll();
    });
  }
  function setPacks(packs) {
    var oldPack = curPack(), oldTable = curTable();
    S.packs = packs;
    if (oldPack) {
      var pi = packs.findIndex(function (p) { return p.id === oldPack.id; });
      S.pack = pi >= 0 ? pi : 0;
      var ti = oldTable && packs[S.pack] ? packs[S.pack].tables.findIndex(function (t) { return t.id === oldTable.id; }) : -1;
      S.table = ti >= 0 ? ti : 0;
    }
    renderStatus(); renderNav(); renderTable();
  }

  // ---------------------------------------------------------------- status and toolbar
  function renderStatus() {
    var v = S.servingVersion;
    field("serving").textContent = v ? ("版本 " + v.id + (v.origin === "folder" ? "（规则目录）" : "") + " · " + (v.user || "—") + " · " + fmtTime(v.created_at) + (v.note ? " · " + v.note : "")) : "规则目录中的规则包（尚未在此发布过）";
    var d = S.draft;
    field("draft").textContent = d ? ("#" + d.id + " · " + (d.owner === ME ? "我的" : d.owner + " 的") + " · " + STATUS[d.status] + " · 第 " + d.revision + " 版" + (d.approved_by ? " · 审核人 " + d.approved_by : "") + (isDirty() ? " · 有未保存的修改" : "")) : "无（下面是正在使用的规则，只读）";
    var mine = editable(), open = d && ["editing", "submitted", "approved"].indexOf(d.status) >= 0;
    $('[data-act="new-draft"]').hidden = !!(d && d.owner === ME && open);
    $('[data-act="save"]').hidden = !mine;
    $('[data-act="check"]').hidden = !d;
    $('[data-act="discard"]').hidden = !mine;
    $('[data-act="export"]').setAttribute("href", API + "/export" + (d ? "?draft=" + d.id : ""));
    var canPublish = open && (!APPROVAL ? d.owner === ME || d.status !== "editing" : d.status === "approved" || (d.status === "submitted" && d.owner !== ME));
    $('[data-act="submit"]').hidden = !(APPROVAL && mine && d.status === "editing");
    $('[data-act="approve"]').hidden = !(open && d.owner !== ME && d.status === "submitted");
    $('[data-act="publish"]').hidden = !canPublish;
    $('[data-act="replay"]').disabled = !d;
  }
  function fmtTime(s) { if (!s) return ""; var t = new Date(s); return isNaN(t) ? s : t.toLocaleString("zh-CN", { hour12: false }); }
  function renderOthers(list) {
    var box = clear(field("others"));
    if (!list.length) return;
    box.appendChild(h("span", { text: "等待审核的草稿：" }));
    list.forEach(function (d) {
      box.appendChild(h("button", { type: "button", cls: "linkish", "data-testid": "open-draft-" + d.id,
        onclick: function () { openDraft(d.id).then(function () { flash("已打开 " + d.owner + " 的草稿 #" + d.id + "（只读，可审核）"); }); },
        text: "#" + d.id + " " + d.owner + "（" + STATUS[d.status] + (d.note ? "：" + d.note : "") + "）" }));
    });
  }

  // ---------------------------------------------------------------- nav
  function renderNav() {
    var nav = clear(field("nav"));
    S.packs.forEach(function (p, pi) {
      var list = h("ul");
      p.tables.forEach(function (t, ti) {
        var n = (S.problems[p.id] || []).filter(function (x) { return x.table === t.id && x.severity === "error"; }).length;
        list.appendChild(h("li", null, h("button", { type: "button", cls: "tab" + (pi === S.pack && ti === S.table ? " on" : ""),
          "data-testid": "table-" + t.id, "aria-current": pi === S.pack && ti === S.table ? "true" : null,
          onclick: function () { S.pack = pi; S.table = ti; renderNav(); renderTable(); } },
          t.label, h("span", { cls: "count", text: String(t.rows.length) }),
          n ? h("span", { cls: "err-count", text: n + " 错" }) : null,
          S.dirty[key(p, t)] ? h("span", { cls: "dirty-dot", title: "未保存", text: "●" }) : null)));
      });
      nav.appendChild(h("div", { cls: "pack" }, h("div", { cls: "pack-title", text: p.title }), h("div", { cls: "pack-id muted small", text: p.id }),
        p.error ? h("p", { cls: "bad small", text: p.error }) : null, list));
    });
  }

  // ---------------------------------------------------------------- the grid
  function renderTable() {
    var p = curPack(), t = curTable(), head = clear(field("table-head")), grid = clear(field("grid"));
    field("grid-actions").hidden = !(t && editable());
    if (!t) return;
    head.appendChild(h("h2", { "data-testid": "table-title" }, p.title + " · " + t.label));
    head.appendChild(h("p", { cls: "muted small" }, "命中方式：" + t.hit_label + (t.target_label ? "；输出：" + t.target_label : "") +
      "。条件列留空表示不限；文字加英文双引号，如 contains($, \"电梯\")、\"街道办事处\"。"));
    var ro = !editable();
    var thead = h("tr", null, h("th", { cls: "num", text: "#" }), h("th", { cls: "meta" }, "编号"), h("th", { cls: "meta" }, "说明"));
    t.inputs.forEach(function (c) { thead.appendChild(h("th", { cls: "in", title: c.field }, h("span", { cls: "kind", text: "条件" }), c.name)); });
    t.outputs.forEach(function (c) { thead.appendChild(h("th", { cls: "out", title: c.field }, h("span", { cls: "kind", text: "结果" }), c.name)); });
    if (!ro) thead.appendChild(h("th", { cls: "ops", text: "操作" }));
    var body = h("tbody");
    t.rows.forEach(function (row, ri) { body.appendChild(rowEl(t, row, ri, ro)); });
    grid.appendChild(h("table", { cls: "rulegrid", "data-testid": "rule-grid" }, h("thead", null, thead), body));
    showProblems();
    window.requestAnimationFrame(sizeAll);
  }
  function cellEl(t, ri, colId, label, value, cls, ro) {
    var ta = h("textarea", { rows: "1", "data-r": String(ri), "data-c": colId, "aria-label": label + "（第 " + (ri + 1) + " 行）", spellcheck: "false" });
    ta.value = value || "";
    if (ro) ta.readOnly = true;
    ta.addEventListener("input", function () {
      var row = t.rows[ri];
      if (colId === "_id" || colId === "_description") row[colId] = ta.value; else row.cells[colId] = ta.value;
      markDirty(); autosize(ta); scheduleLint();
    });
    return h("td", { cls: cls, "data-label": label, "data-cell": ri + ":" + colId }, h("div", { cls: "cell-msg", role: "alert" }), ta);
  }
  function rowEl(t, row, ri, ro) {
    var tr = h("tr", { "data-row": String(ri) }, h("td", { cls: "num", "data-label": "#", text: String(ri + 1) }),
      cellEl(t, ri, "_id", "编号", row._id, "meta", ro), cellEl(t, ri, "_description", "说明", row._description, "meta", ro));
    t.inputs.forEach(function (c) { tr.appendChild(cellEl(t, ri, c.id, c.name, row.cells[c.id], "in", ro)); });
    t.outputs.forEach(function (c) { tr.appendChild(cellEl(t, ri, c.id, c.name, row.cells[c.id], "out", ro)); });
    if (!ro) {
      var ops = h("td", { cls: "ops", "data-label": "操作" },
        h("button", { type: "button", title: "上移", "aria-label": "上移第 " + (ri + 1) + " 行", onclick: function () { moveRow(ri, -1); }, text: "↑" }),
        h("button", { type: "button", title: "下移", "aria-label": "下移第 " + (ri + 1) + " 行", onclick: function () { moveRow(ri, 1); }, text: "↓" }),
        h("button", { type: "button", title: "复制", "data-testid": "dup-" + ri, onclick: function () { dupRow(ri); }, text: "复制" }),
        h("button", { type: "button", title: "删除", cls: "del", "data-testid": "del-" + ri, onclick: function () { delRow(ri); }, text: "删除" }));
      tr.appendChild(ops);
    }
    return tr;
  }
  function autosize(ta) { ta.style.height = "auto"; ta.style.height = Math.min(ta.scrollHeight + 2, 240) + "px"; }
  function sizeAll() { app.querySelectorAll(".rulegrid textarea").forEach(autosize); }
  function markDirty() { var p = curPack(), t = curTable(); if (!S.dirty[key(p, t)]) { S.dirty[key(p, t)] = true; renderNav(); } renderStatus(); }
  function emptyRow(t) { var cells = {}; t.inputs.concat(t.outputs).forEach(function (c) { cells[c.id] = ""; }); return { _id: "", _description: "", cells: cells }; }
  function structural(focusRow) { markDirty(); renderTable(); sizeAll(); scheduleLint(0);
    if (focusRow !== undefined) { var ta = app.querySelector('[data-cell="' + focusRow + ':_id"] textarea'); if (ta) ta.focus(); } }
  function moveRow(ri, d) { var rows = curTable().rows, j = ri + d; if (j < 0 || j >= rows.length) return; var x = rows[ri]; rows[ri] = rows[j]; rows[j] = x; structural(j); }
  function dupRow(ri) { var rows = curTable().rows, copy = JSON.parse(JSON.stringify(rows[ri])); copy._id = (copy._id || "行") + "-副本"; rows.splice(ri + 1, 0, copy); structural(ri + 1); }
  function delRow(ri) { var rows = curTable().rows; if (!window.confirm("删除第 " + (ri + 1) + " 行（" + (rows[ri]._id || "无编号") + "）？保存草稿前可以放弃草稿撤销。")) return; rows.splice(ri, 1); structural(); }
  function addRow() { var t = curTable(); t.rows.push(emptyRow(t)); structural(t.rows.length - 1); }

  // ---------------------------------------------------------------- lint
  function scheduleLint(delay) {
    clearTimeout(S.lintTimer);
    field("lint-state").textContent = "检查中…";
    S.lintTimer = setTimeout(lintCurrent, delay === undefined ? 350 : delay);
  }
  function lintCurrent() {
    var p = curPack(), t = curTable(); if (!p || !t) return;
    var seq = ++S.lintSeq;
    api("POST", "/lint" + (S.draft ? "?draft=" + S.draft.id : ""), { pack: p.id, table: t.id, rows: t.rows }).then(function (res) {
      if (seq !== S.lintSeq) return;  // a newer edit is being checked
      S.problems[p.id] = res.problems; showProblems(); renderNav();
    }).catch(function (e) { field("lint-state").textContent = e.message; });
  }
  function lintAll() {
    S.packs.forEach(function (p) {
      api("POST", "/lint" + (S.draft ? "?draft=" + S.draft.id : ""), { pack: p.id }).then(function (res) {
        S.problems[p.id] = res.problems; renderNav(); if (p === curPack()) showProblems();
      }).catch(function () {});
    });
  }
  function showProblems() {
    var p = curPack(), t = curTable(); if (!p || !t) return;
    app.querySelectorAll(".rulegrid td.has-error, .rulegrid td.has-warning").forEach(function (td) {
      td.classList.remove("has-error", "has-warning"); td.querySelector(".cell-msg").textContent = "";
    });
    app.querySelectorAll(".rulegrid tr.row-error").forEach(function (tr) { tr.classList.remove("row-error"); });
    var rest = [], errors = 0;
    (S.problems[p.id] || []).forEach(function (x) {
      if (x.table && x.table !== t.id) return;
      if (x.severity === "error") errors++;
      var placed = false;
      (x.rows || []).forEach(function (ri) {
        var col = x.column || "_id";
        var td = app.querySelector('[data-cell="' + ri + ":" + col + '"]');
        if (!td) return;
        placed = true;
        td.classList.add(x.severity === "error" ? "has-error" : "has-warning");
        var msg = td.querySelector(".cell-msg");
        msg.textContent = (msg.textContent ? msg.textContent + "；" : "") + x.message;
        if (!x.column) td.parentNode.classList.add("row-error");
      });
      if (!placed) rest.push(x);
    });
    var box = clear(field("table-problems"));
    rest.forEach(function (x) { box.appendChild(h("p", { cls: x.severity === "error" ? "bad small" : "warn-text small", text: (x.severity === "error" ? "错误：" : "提醒：") + (x.node ? x.node + "：" : "") + x.message })); });
    field("lint-state").textContent = errors ? ("本表有 " + errors + " 处错误") : "本表检查通过";
    field("lint-state").className = "small " + (errors ? "bad" : "good");
  }

  // ---------------------------------------------------------------- actions
  function saveDraft() {
    if (!S.draft) return Promise.resolve();
    if (!isDirty()) return Promise.resolve(S.draft);
    return api("PUT", "/drafts/" + S.draft.id, { revision: S.draft.revision, tables: dirtyTables() }).then(function (d) {
      Object.assign(S.draft, d); S.dirty = {}; renderStatus(); renderNav(); flash("草稿已保存（第 " + d.revision + " 版）。"); return d;
    });
  }
  function act(name, btn) {
    var run = {
      "new-draft": function () {
        return api("POST", "/drafts", { note: "" }).then(function (d) { S.draft = d; S.dirty = {}; setPacks(d.packs); lintAll(); flash("已新建草稿 #" + d.id + "：现在可以修改单元格。"); });
      },
      save: function () { return saveDraft(); },
      check: function () {
        return saveDraft().then(function () { return api("GET", "/drafts/" + S.draft.id + "/check"); }).then(showCheck);
      },
      discard: function () {
        if (!window.confirm("放弃这份草稿？其中的修改都不会发布。")) return Promise.resolve();
        return api("DELETE", "/drafts/" + S.draft.id).then(function () { flash("草稿已放弃。"); S.dirty = {}; return loadAll(); });
      },
      "add-row": function () { addRow(); return Promise.resolve(); },
      "try": function () { return tryRun(); },
      replay: function () { return saveDraft().then(replay); },
      submit: function () {
        return saveDraft().then(function () { return api("POST", "/drafts/" + S.draft.id + "/submit", { note: field("note").value }); })
          .then(function (d) { Object.assign(S.draft, d); renderStatus(); flash("已提交审核：请其他编辑或管理员审核后发布。"); });
      },
      approve: function () {
        return api("POST", "/drafts/" + S.draft.id + "/approve", { revision: S.draft.revision })
          .then(function (d) { Object.assign(S.draft, d); renderStatus(); flash("已审核通过。"); });
      },
      publish: function () {
        return saveDraft().then(function () {
          return api("POST", "/drafts/" + S.draft.id + "/publish", { note: field("note").value, revision: S.draft.revision });
        }).then(function (v) {
          field("note").value = ""; clear(field("check-result"));
          return loadAll().then(function () { flash("已发布为版本 " + v.id + "：新的问题会按这份规则回答。"); });
        }).catch(function (e) { if (e.body) showCheck({ ok: false, problems: (e.body.problems || []), examples: e.body.examples || { failures: [] }, message: e.message }); throw e; });
      }
    }[name];
    if (!run) return;
    busy(btn, true);
    run().catch(function (e) { flash(e.message, true); }).then(function () { busy(btn, false); });
  }
  function showCheck(res) {
    var box = clear(field("check-result"));
    if (res.ok) { box.appendChild(h("p", { cls: "good", text: "检查通过：没有错误，" + res.examples.run + " 个例子全部通过。" })); return; }
    if (res.message) box.appendChild(h("p", { cls: "bad", text: res.message }));
    var errs = (res.problems || []).filter(function (x) { return x.severity === "error"; });
    if (errs.length) box.appendChild(h("ul", { cls: "bad small" }, errs.slice(0, 30).map(function (x) {
      return h("li", { text: [x.file, x.node, x.row && "行 " + x.row, x.cell && "列 " + x.cell].filter(Boolean).join(" / ") + "：" + x.message });
    })));
    var fails = (res.examples && res.examples.failures) || [];
    if (fails.length) box.appendChild(h("ul", { cls: "bad small" }, fails.slice(0, 30).map(function (f) {
      return h("li", { text: "例子 " + f.pack + "/" + f.id + (f.text ? "（" + f.text.slice(0, 30) + "）" : "") + "：" + f.failures.join("；") });
    })));
  }

  // ---------------------------------------------------------------- 试运行
  function tryRun() {
    var text = field("try-text").value.trim();
    if (!text) { flash("请先输入一个问题。", true); return Promise.resolve(); }
    var body = { text: text, cases: field("try-cases").checked, tables: dirtyTables() };
    if (S.draft) body.draft = S.draft.id;
    var box = clear(field("try-result"));
    box.appendChild(h("p", { cls: "muted", text: "运行中…" }));
    return api("POST", "/try", body).then(function (r) { renderOutcome(clear(box), r); })
      .catch(function (e) { clear(box).appendChild(h("p", { cls: "bad", text: e.message })); });
  }
  function joinList(x) { return Array.isArray(x) ? x.join("、") : (x === null || x === undefined ? "" : String(x)); }
  function renderOutcome(box, r) {
    var c = r.classification || {}, route = r.routing || {}, risk = r.risk || {};
    if (r.verdict === "off_topic") box.appendChild(h("p", { cls: "warn-text", text: r.message || "不属于基层治理问题" }));
    var dl = h("dl", { cls: "outcome" });
    function row(k, v, id) { dl.appendChild(h("dt", { text: k })); dl.appendChild(h("dd", { "data-testid": id, text: v || "—" })); }
    row("领域", joinList(c.domains), "try-domains");
    row("城乡 / 紧急程度", [c.setting, c.urgency].filter(Boolean).join(" / "), "try-setting");
    row("牵头", route.lead, "try-lead");
    row("配合", joinList(route.supporting), "try-supporting");
    row("依据", route.basis, "try-basis");
    row("风险", (risk.level || "") + (risk.kind ? "（" + risk.kind + "）" : "") + (risk.procedures && risk.procedures.length ? "；必经程序：" + joinList(risk.procedures) : ""), "try-risk");
    box.appendChild(dl);
    if (risk.reasons && risk.reasons.length) box.appendChild(h("ul", { cls: "small" }, risk.reasons.map(function (x) { return h("li", { text: x }); })));
    var trace = r.rule_trace || [];
    box.appendChild(h("h3", { text: "命中的规则行（" + trace.length + "）" }));
    var tb = h("tbody");
    trace.forEach(function (t) {
      var outs = t.summary || Object.keys(t.outputs || {}).filter(function (k) { var v = t.outputs[k]; return v !== null && v !== "" && !(Array.isArray(v) && !v.length); })
        .map(function (k) { return k + "：" + joinList(t.outputs[k]); }).join("；");
      tb.appendChild(h("tr", null, h("td", { "data-label": "规则行" }, h("b", { text: t.row_id }), h("div", { cls: "muted small", text: t.pack + " · " + t.table })),
        h("td", { "data-label": "说明", text: t.description || "" }), h("td", { "data-label": "结果", text: outs })));
    });
    box.appendChild(h("div", { cls: "table-wrap" }, h("table", { cls: "data trace stack", "data-testid": "try-trace" },
      h("thead", null, h("tr", null, ["规则行", "说明", "结果"].map(function (x) { return h("th", { text: x }); }))), tb)));
    if (r.results && r.results.length) {
      box.appendChild(h("h3", { text: "前 " + r.results.length + " 个案例" }));
      box.appendChild(h("ol", { cls: "small" }, r.results.map(function (x) { return h("li", null, h("a", { href: "/cases/" + encodeURIComponent(x.case_id), target: "_blank", text: x.title || x.case_id })); })));
    }
  }

  // ---------------------------------------------------------------- 影响评估
  function replay() {
    var sources = Array.prototype.filter.call(app.querySelectorAll("[data-src]"), function (x) { return x.checked; }).map(function (x) { return x.dataset.src; });
    var box = clear(field("replay-result"));
    if (!sources.length) { box.appendChild(h("p", { cls: "bad", text: "请至少选择一个来源。" })); return Promise.resolve(); }
    var file = field("replay-file").files[0];
    var read = sources.indexOf("upload") >= 0 ? (file ? file.text() : Promise.reject(new Error("选择了“上传查询文件”，请选择文件"))) : Promise.resolve(null);
    box.appendChild(h("p", { cls: "muted", text: "回放中（比较案例时每个问题要检索两次，可能需要几十秒）…" }));
    return read.then(function (queries) {
      return api("POST", "/drafts/" + S.draft.id + "/replay", { sources: sources, queries: queries, cases: field("replay-cases").checked });
    }).then(function (r) { renderReplay(clear(box), r); }).catch(function (e) { clear(box).appendChild(h("p", { cls: "bad", text: e.message })); });
  }
  function routeChange(a, b) {
    var parts = [];
    if (a.lead !== b.lead) parts.push("牵头 " + (a.lead || "—") + " → " + (b.lead || "—"));
    var sa = a.supporting || [], sb = b.supporting || [];
    var added = sb.filter(function (x) { return sa.indexOf(x) < 0; }), gone = sa.filter(function (x) { return sb.indexOf(x) < 0; });
    if (added.length) parts.push("配合增加 " + added.join("、"));
    if (gone.length) parts.push("配合减少 " + gone.join("、"));
    if (!added.length && !gone.length && sa.join() !== sb.join()) parts.push("配合顺序变化");
    return parts.join("；");
  }
  function renderReplay(box, r) {
    var s = r.summary;
    box.appendChild(h("p", { "data-testid": "replay-summary" }, "共 " + s.queries + " 个问题，有变化 " + s.changed + " 个：领域 " + s.domains_changed +
      "，牵头/配合 " + s.routing_changed + "，风险 " + s.risk_changed + (r.with_engine ? "，前 " + r.top_k + " 案例有进出 " + s.top_changed + "（进 " + s.cases_entered + "、出 " + s.cases_left + "）" : "（未比较案例）") + "。"));
    var changed = r.queries.filter(function (q) { return q.changed; });
    if (!changed.length) return;
    var tb = h("tbody");
    changed.slice(0, 200).forEach(function (q) {
      function arrow(a, b) { return joinList(a) + " → " + joinList(b); }
      tb.appendChild(h("tr", null,
        h("td", { "data-label": "问题", text: q.text.slice(0, 60) + (q.text.length > 60 ? "…" : "") }),
        h("td", { "data-label": "领域", text: q.domains_changed ? arrow(q.old.domains, q.new.domains) : "—" }),
        h("td", { "data-label": "牵头/配合", text: q.routing_changed ? routeChange(q.old.routing, q.new.routing) : "—" }),
        h("td", { "data-label": "风险", text: q.risk_changed ? arrow(q.old.risk.level, q.new.risk.level) : "—" }),
        h("td", { "data-label": "案例", text: r.with_engine ? (q.top_changed ? "进 " + (joinList(q.entered) || "—") + "；出 " + (joinList(q.left) || "—") : (q.order_changed ? "顺序变化" : "—")) : "—" }),
        h("td", { "data-label": "规则行", text: (q.rows_added.length ? "+" + q.rows_added.join("、") : "") + (q.rows_removed.length ? " −" + q.rows_removed.join("、") : "") })));
    });
    box.appendChild(h("div", { cls: "table-wrap" }, h("table", { cls: "data stack", "data-testid": "replay-table" },
      h("thead", null, h("tr", null, ["问题", "领域", "牵头/配合", "风险", "案例", "规则行"].map(function (x) { return h("th", { text: x }); }))), tb)));
  }

  // ---------------------------------------------------------------- versions
  function renderVersions(list) {
    var box = clear(field("versions"));
    if (!list.length) { box.appendChild(h("p", { cls: "muted small", text: "还没有发布过版本。第一次发布时，原来的规则目录会自动保存为一个版本，以便恢复。" })); return; }
    var tb = h("tbody");
    list.forEach(function (v, i) {
      tb.appendChild(h("tr", { "data-version": String(v.id) },
        h("td", { "data-label": "版本", text: String(v.id) + (i === 0 ? "（使用中）" : "") }),
        h("td", { "data-label": "时间", text: fmtTime(v.created_at) }),
        h("td", { "data-label": "发布人", text: (v.user || "—") + (v.approved_by ? "；审核 " + v.approved_by : "") }),
        h("td", { "data-label": "说明", text: (v.origin === "folder" ? "[规则目录] " : "") + (v.restored_from ? "[恢复自 " + v.restored_from + "] " : "") + (v.note || "") }),
        h("td", { "data-label": "操作" }, i === 0 ? null : h("button", { type: "button", cls: "btn ghost small", "data-testid": "restore-" + v.id, text: "恢复此版本",
          onclick: function (ev) { restore(v, ev.target); } }),
          h("a", { cls: "small", href: API + "/export?version=" + v.id, text: " 导出" }))));
    });
    box.appendChild(h("table", { cls: "data stack" }, h("thead", null, h("tr", null, ["版本", "时间", "发布人", "说明", ""].map(function (x) { return h("th", { text: x }); }))), tb));
  }
  function restore(v, btn) {
    var note = window.prompt("恢复到版本 " + v.id + "：请写明原因", "回退到版本 " + v.id);
    if (note === null) return;
    busy(btn, true);
    api("POST", "/versions/" + v.id + "/restore", { note: note }).then(function (nv) {
      return loadAll().then(function () { flash("已恢复：版本 " + v.id + " 的规则作为版本 " + nv.id + " 发布，立即生效。"); });
    }).catch(function (e) { flash(e.message, true); busy(btn, false); });
  }

  // ---------------------------------------------------------------- import
  function importFile(input) {
    var file = input.files[0]; if (!file) return;
    var form = new FormData(); form.append("file", file);
    if (editable()) form.append("draft", String(S.draft.id));
    flash("导入中…");
    var box = clear(field("check-result"));
    api("POST", "/import", form, true).then(function (res) {
      S.draft = res.draft; return openDraft(res.draft.id).then(function () { flash("已导入到草稿 #" + res.draft.id + "：检查通过。"); });
    }).catch(function (e) {
      flash(e.message, true);
      var probs = (e.body && e.body.problems) || [];
      if (probs.length) box.appendChild(h("table", { cls: "data stack", "data-testid": "import-problems" },
        h("thead", null, h("tr", null, ["工作表", "行", "列", "原因"].map(function (x) { return h("th", { text: x }); }))),
        h("tbody", null, probs.map(function (p) { return h("tr", { cls: p.severity === "error" ? "" : "muted" }, h("td", { "data-label": "工作表", text: p.sheet }),
          h("td", { "data-label": "行", text: p.row ? String(p.row) : "" }), h("td", { "data-label": "列", text: (p.column || "") + (p.header ? "（" + p.header + "）" : "") }),
          h("td", { "data-label": "原因", text: p.message })); }))));
    }).then(function () { input.value = ""; });
  }

  app.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-act]");
    if (!btn || btn.tagName === "A" || btn.tagName === "INPUT" || btn.tagName === "LABEL") return;
    act(btn.dataset.act, btn);
  });
  $('[data-act="import"]').addEventListener("change", function (ev) { importFile(ev.target); });
  window.addEventListener("beforeunload", function (ev) { if (isDirty()) { ev.preventDefault(); ev.returnValue = ""; } });
  loadAll().then(sizeAll);
})();
