// crossgate admin page: polls /admin/state.json and redraws the tables.
// Every value goes through textContent, never innerHTML: origins, hosts
// and paths come from whoever sends requests to the gateway.
"use strict";

(function () {
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function cell(row, content, cls) {
    const td = el("td", undefined, cls);
    if (Array.isArray(content)) {
      if (content.length === 0) td.appendChild(el("em", "any"));
      for (const v of content) td.appendChild(el("div", v));
    } else if (content instanceof Node) {
      td.appendChild(content);
    } else {
      td.textContent = String(content);
    }
    row.appendChild(td);
    return td;
  }
  function policyName(name) {
    return name === "" ? el("em", "no policy") : name;
  }
  function fill(id, rows, draw) {
    const body = document.querySelector("#" + id + " tbody");
    const fresh = document.createElement("tbody");
    for (const r of rows) {
      const tr = document.createElement("tr");
      draw(tr, r);
      fresh.appendChild(tr);
    }
    body.replaceWith(fresh);
  }
  function time(iso, short) {
    const d = new Date(iso);
    return short ? d.toISOString().slice(11, 19) : d.toISOString();
  }

  function draw(st) {
    const lr = st.last_reload;
    document.getElementById("reload").className = lr.result;
    document.getElementById("reload-result").textContent = lr.result;
    document.getElementById("reload-time").textContent = time(lr.time);
    document.getElementById("reload-cause").textContent = lr.cause;
    const errBox = document.getElementById("reload-error");
    errBox.textContent = lr.error || "";
    errBox.hidden = !lr.error;

    fill("policies", st.policies, function (tr, p) {
      cell(tr, p.name);
      cell(tr, p.hosts);
      cell(tr, p.paths);
      cell(tr, p.origins);
      cell(tr, p.credentials ? "yes" : "no");
      cell(tr, p.upstream);
    });
    fill("counters", st.counters, function (tr, c) {
      cell(tr, policyName(c.policy));
      cell(tr, c.allowed);
      cell(tr, c.refused);
      cell(tr, c.preflights);
      const reasons = Object.keys(c.rejections).sort().map(function (r) { return r + ": " + c.rejections[r]; });
      const td = cell(tr, "");
      for (const r of reasons) td.appendChild(el("div", r));
    });
    fill("refusals", st.refusals, function (tr, r) {
      tr.dataset.seq = String(r.seq);
      cell(tr, time(r.time, true));
      cell(tr, policyName(r.policy));
      cell(tr, r.origin, "origin");
      cell(tr, r.method + " " + r.url, "request");
      cell(tr, r.reason, "reason");
      cell(tr, el("code", r.explain, "explain"));
    });
    document.getElementById("refusal-count").textContent = String(st.refusals.length);
    document.getElementById("updated").textContent = "updated " + new Date().toISOString().slice(11, 19);
  }

  async function poll() {
    try {
      const resp = await fetch("/admin/state.json", { cache: "no-store" });
      if (resp.ok) draw(await resp.json());
      else document.getElementById("updated").textContent = "update failed: " + resp.status;
    } catch (e) {
      document.getElementById("updated").textContent = "update failed: " + e;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    poll();
    setInterval(poll, 2000);
  });
})();
