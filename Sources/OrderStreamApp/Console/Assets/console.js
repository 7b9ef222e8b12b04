// The OrderStream console. Plain JavaScript, no library, no build step.
//
// Safety rule of this file: every value that came from the server is put into the page as
// text (textContent, or a text node made by `el`), never as markup, and no code is ever built
// from data. Event values are attacker-controlled: a dead letter holding <script> must show as
// those characters. The Content-Security-Policy (no inline script, own origin only) is the
// second line of defence, not the first.
"use strict";

(() => {
  const REFRESH_MS = 5000;
  const TOKEN_KEY = "orderstream-console-token";
  const ACTOR_KEY = "orderstream-console-actor";
  const views = ["kpis", "partitions", "dead-letters", "deployments", "orders"];
  let current = null;
  let selectedLetter = null;

  // ---------------------------------------------------------------- DOM helpers

  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children; string children become text nodes. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attributes) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    return node;
  }

  function fillBody(table, rows, empty) {
    const body = $(table).tBodies[0];
    body.replaceChildren(...rows);
    if (rows.length === 0) {
      const columns = $(table).tHead.rows[0].cells.length;
      body.append(el("tr", {}, el("td", { colspan: columns, class: "muted", text: empty })));
    }
  }

  const td = (value, attributes) => el("td", attributes || {}, value === null || value === undefined ? "–" : String(value));
  const num = (value, key) => el("td", { class: "num", "data-value": value ?? "", "data-key": key || null },
    value === null || value === undefined ? "–" : Number(value).toLocaleString("en-US"));
  const pill = (text, kind) => el("span", { class: "pill " + (kind || text) }, text);

  function money(cents, currency) {
    return (Number(cents) / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " " + currency;
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "–" : (rate * 100).toFixed(1) + " %";
  }

  function shortTime(text) {
    if (!text) return "–";
    const date = new Date(text);
    return isNaN(date) ? text : date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  }

  function showResult(id, ok, text) {
    const box = $(id);
    box.className = "result " + (ok ? "ok" : "error");
    box.textContent = text;
  }

  // ---------------------------------------------------------------- server

  class RequestError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function getJSON(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
    const body = await response.json().catch(() => ({ error: "the answer was not JSON" }));
    if (!response.ok) throw new RequestError(response.status, body.error || response.statusText);
    return body;
  }

  /** An action: the token in the Authorization header (never a cookie), the actor for the audit. */
  async function postJSON(path, payload) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const token = $("token").value.trim();
    if (token) headers.Authorization = "Bearer " + token;
    const actor = $("actor").value.trim();
    if (actor) headers["X-OrderStream-Actor"] = actor;
    const response = await fetch(path, { method: "POST", headers, body: JSON.stringify(payload || {}) });
    const body = await response.json().catch(() => ({ error: "the answer was not JSON" }));
    if (!response.ok) throw new RequestError(response.status, body.error || response.statusText);
    return body;
  }

  /** Asks in the page (a modal dialog, keyboard-friendly) before an action runs. */
  function confirmAction(text) {
    const dialog = $("confirm");
    $("confirm-text").textContent = text;
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
      dialog.returnValue = "cancel";
      dialog.showModal();
      $("confirm-cancel").focus();
    });
  }

  /** Confirms, runs `work`, shows its outcome in `resultId`, refreshes the view. */
  async function act(resultId, question, work, describe) {
    if (!(await confirmAction(question))) {
      showResult(resultId, false, "cancelled: nothing was done");
      return;
    }
    const buttons = document.querySelectorAll("main button");
    buttons.forEach((button) => { button.disabled = true; });
    showResult(resultId, true, "working…");
    try {
      const answer = await work();
      showResult(resultId, true, describe(answer));
    } catch (error) {
      const prefix = error.status === 401 || error.status === 403 ? "refused (" + error.status + "): " : "failed: ";
      showResult(resultId, false, prefix + error.message);
    } finally {
      buttons.forEach((button) => { button.disabled = false; });
      refresh();
    }
  }

  // ---------------------------------------------------------------- KPIs

  const totals = [
    ["orders_created", "Orders created"], ["orders_cancelled", "Orders cancelled"], ["orders_shipped", "Orders shipped"],
    ["payments_authorized", "Payments authorized"], ["payments_captured", "Payments captured"],
    ["payments_failed", "Payments failed"], ["payments_refunded", "Payments refunded"],
    ["payment_success_rate", "Payment success rate"], ["active_customers", "Active customers"],
    ["events_applied", "Events applied"], ["events_duplicate", "Duplicates skipped"], ["events_rejected", "Events rejected"],
  ];

  function windowBounds(minutes) {
    const minute = 60000;
    const to = Math.floor(Date.now() / minute) * minute + minute;
    return { from: new Date(to - minutes * minute).toISOString().replace(/\.\d+Z$/, "Z"),
      to: new Date(to).toISOString().replace(/\.\d+Z$/, "Z") };
  }

  async function loadKPIs() {
    const minutes = Number($("kpi-window").value);
    const bounds = windowBounds(minutes);
    const [kpis, series] = await Promise.all([
      getJSON("/api/kpis"),
      getJSON("/api/kpis/minutes?from=" + encodeURIComponent(bounds.from) + "&to=" + encodeURIComponent(bounds.to)),
    ]);
    const cards = [];
    for (const [key, label] of totals) {
      const value = kpis[key];
      const shown = key === "payment_success_rate" ? percent(value) : Number(value ?? 0).toLocaleString("en-US");
      cards.push(el("div", {}, el("dt", { text: label }), el("dd", { "data-kpi": key, "data-value": value ?? "" }, shown)));
    }
    for (const [title, key] of [["Captured", "captured_cents"], ["Refunded", "refunded_cents"]]) {
      for (const currency of Object.keys(kpis[key] || {}).sort()) {
        cards.push(el("div", {}, el("dt", { text: title + " " + currency }),
          el("dd", { "data-kpi": key + "." + currency, "data-value": kpis[key][currency] }, money(kpis[key][currency], currency))));
      }
    }
    $("kpi-totals").replaceChildren(...cards);
    const rows = series.minutes;
    const currencies = [...new Set(rows.flatMap((row) => Object.keys(row.captured_cents)))].sort();
    $("kpi-charts").replaceChildren(
      chart("Orders created per minute", rows, [{ name: "orders", value: (row) => row.orders_created }], "bars", (v) => String(v)),
      chart("Payment success rate", rows, [{ name: "success rate", value: (row) => row.payment_success_rate }], "line",
        (v) => (v * 100).toFixed(0) + "%", 1),
      chart("Captured revenue per minute", rows, currencies.map((currency) => ({
        name: currency, value: (row) => (row.captured_cents[currency] || 0) / 100 })), "line",
        (v) => v.toLocaleString("en-US", { maximumFractionDigits: 0 })),
      chart("Active customers per minute", rows, [{ name: "customers", value: (row) => row.active_customers }], "bars", (v) => String(v)));
    $("kpi-updated").textContent = "updated " + new Date().toLocaleTimeString();
  }

  /** A small SVG chart of `series` over the minutes of `rows` (bars for counts, lines for rates). */
  function chart(title, rows, series, kind, format, fixedMax) {
    const width = 600, height = 160, left = 44, bottom = 18, top = 8;
    const values = series.flatMap((s) => rows.map(s.value)).filter((v) => v !== null && v !== undefined);
    const max = fixedMax || Math.max(1, ...values);
    const x = (i) => left + (i + 0.5) * (width - left) / Math.max(rows.length, 1);
    const y = (v) => top + (height - top - bottom) * (1 - v / max);
    const plot = svg("svg", { viewBox: "0 0 " + width + " " + height, preserveAspectRatio: "none", role: "img" });
    const total = values.reduce((a, b) => a + b, 0);
    plot.setAttribute("aria-label", title + ": " + rows.length + " minutes, highest " + format(max) +
      (kind === "bars" ? ", total " + format(total) : ""));
    plot.append(svg("line", { class: "axis", x1: left, x2: width, y1: height - bottom, y2: height - bottom }));
    plot.append(svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: height - bottom }));
    const maxLabel = svg("text", { x: 2, y: top + 10 }); maxLabel.textContent = format(max); plot.append(maxLabel);
    const zero = svg("text", { x: 2, y: height - bottom }); zero.textContent = "0"; plot.append(zero);
    if (rows.length > 0) {
      const first = svg("text", { x: left, y: height - 4 }); first.textContent = shortTime(rows[0].minute).slice(11, 16); plot.append(first);
      const last = svg("text", { x: width - 34, y: height - 4 }); last.textContent = shortTime(rows[rows.length - 1].minute).slice(11, 16); plot.append(last);
    }
    series.forEach((s, index) => {
      if (kind === "bars") {
        const barWidth = Math.max(1, (width - left) / Math.max(rows.length, 1) - 1);
        rows.forEach((row, i) => {
          const v = s.value(row) || 0;
          if (v <= 0) return;
          plot.append(svg("rect", { class: "bar series-" + index, x: x(i) - barWidth / 2, y: y(v), width: barWidth, height: height - bottom - y(v) }));
        });
      } else {
        let path = "";
        rows.forEach((row, i) => {
          const v = s.value(row);
          if (v === null || v === undefined) return;
          path += (path ? " L " : "M ") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        });
        if (path) plot.append(svg("path", { class: "line series-" + index, d: path, fill: "none" }));
      }
    });
    const legend = series.length > 1
      ? el("div", { class: "legend" }, ...series.map((s, i) => el("span", {}, el("span", { class: "swatch series-" + i }), s.name)))
      : null;
    return el("figure", { class: "chart" }, el("figcaption", { text: title }), plot, legend);
  }

  // ---------------------------------------------------------------- partitions

  async function loadPartitions() {
    const status = await getJSON("/api/partitions");
    const lag = status.partitions.reduce((sum, p) => sum + (p.paused ? 0 : p.lag || 0), 0);
    $("partitions-summary").replaceChildren(
      "Group ", el("strong", { text: status.group }), ": active color ",
      status.active_color ? pill(status.active_color) : "none yet", ", epoch ", String(status.epoch ?? "–"),
      ", total lag ", el("strong", { id: "total-lag", "data-value": lag, text: lag.toLocaleString("en-US") }), " events",
      status.not_measured.length ? " (not measured: " + status.not_measured.join("; ") + ")" : "");
    fillBody("partitions-table", status.partitions.map((p) => el("tr", { "data-partition": p.topic + ":" + p.partition },
      td(p.topic), num(p.partition), el("td", {}, pill(p.owner_color)), num(p.epoch), num(p.position, "position"),
      num(p.high_watermark, "high_watermark"), num(p.paused ? null : p.lag, "lag"),
      td(p.lag_seconds === null ? null : p.lag_seconds.toFixed(1), { class: "num" }),
      el("td", {}, p.paused ? pill("paused" + (p.paused_by ? " by " + p.paused_by : ""), "paused") : pill(p.state, p.state)),
      td(shortTime(p.last_commit_at)), td(p.last_commit_by))), "no partition has a position yet (no worker has consumed)");
    fillBody("workers-table", status.live_workers.map((w) => el("tr", {},
      td(w.instance_id), el("td", {}, pill(w.color)), td(w.state), td(w.seconds_since_heartbeat.toFixed(1) + " s ago"),
      num(w.events_applied), num(w.events_dead_lettered),
      td(w.apply_p99_seconds === null ? null : (w.apply_p99_seconds * 1000).toFixed(0) + " ms", { class: "num" }))), "no live worker");
  }

  function pauseRequest() {
    const payload = { topic: $("pause-topic").value };
    const partition = $("pause-partition").value.trim();
    if (partition !== "") payload.partition = Number(partition);
    return payload;
  }

  function pausing(paused) {
    const payload = pauseRequest();
    const what = payload.topic + (payload.partition === undefined ? " (every partition)" : "[" + payload.partition + "]");
    act("pause-result", (paused ? "Pause " : "Resume ") + what + " for every worker of the group?",
      () => postJSON(paused ? "/api/partitions/pause" : "/api/partitions/resume", payload),
      (answer) => answer.changed.length === 0 ? "nothing to do"
        : answer.command + "d " + answer.changed.join(", ") + " under epoch " + answer.epoch + " (operation " + answer.operation_id + ")");
  }

  // ---------------------------------------------------------------- dead letters

  function letterFilters() {
    const parameters = new URLSearchParams();
    if ($("dlq-topic").value) parameters.set("topic", $("dlq-topic").value);
    if ($("dlq-reason").value) parameters.set("reason", $("dlq-reason").value);
    if ($("dlq-order").value.trim()) parameters.set("order_id", $("dlq-order").value.trim());
    return parameters;
  }

  async function loadDeadLetters() {
    const filters = letterFilters();
    const listing = new URLSearchParams(filters);
    listing.set("limit", $("dlq-limit").value);
    const [stats, list, history] = await Promise.all([
      getJSON("/api/dead-letters/stats?" + filters), getJSON("/api/dead-letters?" + listing), getJSON("/api/replays?limit=50")]);
    const reasons = Object.entries(stats.by_reason).map(([reason, count]) => reason + " " + count).join(", ");
    $("dlq-stats").replaceChildren("Matching: ", el("strong", { id: "dlq-total", "data-value": stats.total, text: String(stats.total) }),
      " dead letters", reasons ? " (" + reasons + ")" : "", "; showing the newest " + list.letters.length + ".");
    const reasonSelect = $("dlq-reason");
    const chosen = reasonSelect.value;
    const known = new Set([...reasonSelect.options].map((o) => o.value));
    for (const reason of Object.keys(stats.by_reason)) {
      if (!known.has(reason)) reasonSelect.append(el("option", { value: reason, text: reason }));
    }
    reasonSelect.value = chosen;
    fillBody("dlq-table", list.letters.map((letter) => el("tr", { "data-letter": letter.letter },
      el("td", {}, el("button", { type: "button", class: "link", onclick: () => showLetter(letter.letter) }, letter.letter)),
      td(shortTime(letter.written_at)), td(letter.reason), td(letter.order_id), num(letter.replay_count),
      td(letter.detail.length > 140 ? letter.detail.slice(0, 140) + "…" : letter.detail, { class: "wrap" }))), "no dead letter matches");
    fillBody("replays-table", history.map((row) => el("tr", {},
      td(shortTime(row.at)), td(row.actor), td(row.letter), td(row.reason), num(row.replay_count), td(row.target), td(row.result))),
    "no replay yet");
    if (selectedLetter) await showLetter(selectedLetter, true);
  }

  async function showLetter(coordinates, quietly) {
    const [topic, partition, offset] = coordinates.split(":");
    const detail = await getJSON("/api/dead-letters/" + encodeURIComponent(topic) + "/" + partition + "/" + offset);
    selectedLetter = coordinates;
    const letter = detail.letter;
    const facts = [["Letter", letter.letter], ["Written", shortTime(letter.written_at)], ["Reason", letter.reason],
      ["Detail", letter.detail], ["Source", letter.source], ["Key", detail.key], ["Order", letter.order_id],
      ["Event", letter.event_id], ["Replays", String(letter.replay_count)], ["Replay of", letter.replay_of]];
    $("dlq-letter-facts").replaceChildren(...facts.flatMap(([name, value]) =>
      [el("dt", { text: name }), el("dd", { text: value === null || value === undefined ? "–" : value })]));
    fillBody("dlq-letter-headers", detail.headers.map((h) => el("tr", {}, td(h.key), td(h.value, { class: "wrap" }))), "no headers");
    $("dlq-letter-value").textContent = detail.value_pretty !== null ? detail.value_pretty
      : letter.value !== null ? letter.value : letter.value_escaped;
    $("dlq-letter-title").textContent = "Letter " + letter.letter;
    $("dlq-letter").hidden = false;
    if (!quietly) $("dlq-letter-title").focus();
  }

  function replay(payload, dryRun) {
    const what = payload.letters ? "letter " + payload.letters.join(", ") : "every letter of the filter (" + (new URLSearchParams(payload)).toString() + ")";
    const run = () => postJSON("/api/dead-letters/replay", Object.assign({ dry_run: dryRun }, payload));
    const describe = (answer) => answer.dry_run
      ? [answer.summary, ...answer.would_replay.map((i) => "would replay " + i.letter + " to " + i.to_topic + " (replay " + i.replay_count + ")"),
        ...answer.refusals.map((r) => "would refuse " + r.letter + ": " + r.why)].join("\n")
      : [answer.summary + " (operation " + answer.operation_id + ")",
        ...answer.outcomes.map((o) => o.letter + " -> " + (o.target || "-") + ": " + o.result)].join("\n");
    if (dryRun) {
      // A dry run changes nothing: no confirmation needed, but it is still an action (token).
      showResult("dlq-result", true, "working…");
      run().then((answer) => showResult("dlq-result", true, describe(answer)))
        .catch((error) => showResult("dlq-result", false, (error.status === 401 || error.status === 403 ? "refused (" + error.status + "): " : "failed: ") + error.message));
      return;
    }
    act("dlq-result", "Re-publish " + what + " to its origin topic?", run, describe);
  }

  function filteredPayload() {
    const payload = {};
    for (const [key, value] of letterFilters()) payload[key] = value;
    return payload;
  }

  // ---------------------------------------------------------------- deployments

  async function loadDeployments() {
    const [deployments, operations] = await Promise.all([getJSON("/api/deployments"), getJSON("/api/operations?limit=30")]);
    $("deploy-active").replaceChildren("Active color: ",
      deployments.active_color ? pill(deployments.active_color) : "none yet", " · epoch ",
      el("span", { id: "deploy-epoch", text: String(deployments.epoch ?? "–") }));
    fillBody("cutovers-table", deployments.cutovers.map((c) => el("tr", {},
      num(c.epoch), td(c.kind), el("td", {}, pill(c.from_color)), el("td", {}, pill(c.to_color)),
      td(c.partitions ? c.partitions.join(", ") : "all", { class: "wrap" }), td(shortTime(c.started_at)),
      td(c.pause_seconds === null ? null : (c.pause_seconds * 1000).toFixed(0) + " ms", { class: "num" }),
      td(c.verdict, { class: "wrap" }))), "no cutover yet");
    fillBody("analyses-table", deployments.analyses.map((a) => el("tr", {},
      num(a.epoch), td(a.kind), el("td", {}, pill(a.to_color)),
      el("td", {}, el("progress", { max: "1", value: a.progress, "aria-label": "analysis progress" }), " " + Math.round(a.progress * 100) + " %"),
      td([a.max_dlq_rate !== null ? "dlq ≤ " + (a.max_dlq_rate * 100).toFixed(2) + " %" : null,
        a.max_p99_seconds !== null ? "p99 ≤ " + (a.max_p99_seconds * 1000).toFixed(0) + " ms" : null,
        a.max_lag_seconds !== null ? "lag ≤ " + a.max_lag_seconds + " s" : null].filter(Boolean).join(", ") || "–"),
      el("td", {}, pill(a.status, a.status)), td(a.reason, { class: "wrap" }))), "no analysis yet (cutover --analyze)");
    fillBody("restore-points-table", deployments.restore_points.map((r) => el("tr", {},
      num(r.epoch), td(r.name), td(r.wal_lsn), td(r.created_before), td(shortTime(r.at)))), "no restore point yet");
    fillBody("operations-table", operations.map((o) => el("tr", {},
      num(o.id), td(shortTime(o.at)), td(o.actor), td(o.command + " " + o.arguments, { class: "wrap" }), td(o.result, { class: "wrap" }))),
    "no operator command yet");
  }

  function deploy(step) {
    const to = $("deploy-to").value;
    const payload = {};
    if (step === "canary" || step === "promote" || step === "cutover") payload.to = to;
    if (step === "canary") {
      const partitions = $("deploy-partitions").value.trim();
      if (partitions) payload.partitions = partitions; else payload.share = $("deploy-share").value.trim();
    }
    if (!$("deploy-restore-point").checked) payload.restore_point = false;
    const questions = {
      canary: "Start a canary: hand " + (payload.partitions || payload.share) + " of the partitions to " + to + "?",
      promote: "Promote the canary: hand every partition to " + to + "?",
      abort: "Abort the canary: hand its partitions back to the active color?",
      cutover: "Cut over: hand every partition to " + to + "?",
      rollback: "Roll back: hand every partition back to the color the latest cutover left?",
    };
    act("deploy-result", questions[step], () => postJSON("/api/deployments/" + step, payload), (answer) => answer.report);
  }

  // ---------------------------------------------------------------- orders

  async function loadOrder() {
    const id = $("order-id").value.trim();
    if (!id) return;
    const box = $("order-result");
    try {
      const answer = await getJSON("/api/orders/" + encodeURIComponent(id));
      const order = answer.order;
      const parts = [];
      if (order) {
        parts.push(el("dl", { class: "cards" },
          el("div", {}, el("dt", { text: "Status" }), el("dd", { id: "order-status", text: order.status })),
          el("div", {}, el("dt", { text: "Customer" }), el("dd", { text: order.customer_id ?? "–" })),
          el("div", {}, el("dt", { text: "Total" }), el("dd", { text: order.total_cents === null ? "–" : money(order.total_cents, order.currency) })),
          el("div", {}, el("dt", { text: "Captured" }), el("dd", { text: money(order.captured_cents, order.currency || "") })),
          el("div", {}, el("dt", { text: "Refunded" }), el("dd", { text: money(order.refunded_cents, order.currency || "") }))));
      }
      const timeline = answer.timeline;
      const events = el("table", { id: "order-events" },
        el("caption", { text: "Applied events, oldest first" }),
        el("thead", {}, el("tr", {}, ...["Occurred", "Type", "Event", "From"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...timeline.events.map((e) => el("tr", {}, td(shortTime(e.occurred_at)), td(e.event_type), td(e.event_id),
          td(e.source_topic + ":" + e.source_partition + ":" + e.source_offset)))));
      parts.push(el("h3", { text: "Timeline of " + timeline.order_id }), el("div", { class: "table-wrap" }, events));
      if (timeline.dead_letters) {
        parts.push(el("h3", { text: "Dead letters (" + timeline.dead_letters.length + ")" }));
        parts.push(el("div", { class: "table-wrap" }, el("table", {},
          el("thead", {}, el("tr", {}, ...["Letter", "Reason", "Detail"].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, ...timeline.dead_letters.map((l) => el("tr", {}, td(l.letter), td(l.reason), td(l.detail, { class: "wrap" })))))));
      } else {
        parts.push(el("p", { class: "muted", text: timeline.dead_letters_note }));
      }
      box.replaceChildren(...parts);
    } catch (error) {
      box.replaceChildren(el("p", { class: "error", text: error.status === 404 ? "No order " + id + " was ever seen." : "failed: " + error.message }));
    }
  }

  // ---------------------------------------------------------------- navigation and refresh

  const loaders = { kpis: loadKPIs, partitions: loadPartitions, "dead-letters": loadDeadLetters, deployments: loadDeployments, orders: loadOrder };

  async function refresh() {
    if (!current) return;
    try {
      await loaders[current]();
      $("load-error").hidden = true;
    } catch (error) {
      $("load-error").textContent = "Could not load this view: " + error.message;
      $("load-error").hidden = false;
    }
  }

  function show(view) {
    if (!views.includes(view)) view = "kpis";
    current = view;
    for (const section of document.querySelectorAll("main > section")) section.hidden = section.dataset.view !== view;
    for (const link of document.querySelectorAll("nav a")) {
      if (link.dataset.nav === view) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    }
    document.title = "OrderStream · " + document.querySelector("[data-nav='" + view + "']").textContent;
    refresh();
  }

  function tokenState() {
    $("token-state").textContent = $("token").value.trim() ? "actions enabled" : "read-only";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("token").value = sessionStorage.getItem(TOKEN_KEY) || "";
    $("actor").value = sessionStorage.getItem(ACTOR_KEY) || "";
    tokenState();
    $("token").addEventListener("input", () => { sessionStorage.setItem(TOKEN_KEY, $("token").value.trim()); tokenState(); });
    $("actor").addEventListener("input", () => sessionStorage.setItem(ACTOR_KEY, $("actor").value.trim()));
    $("credentials").addEventListener("submit", (event) => event.preventDefault());
    $("kpi-window").addEventListener("change", refresh);
    $("pause-button").addEventListener("click", () => pausing(true));
    $("resume-button").addEventListener("click", () => pausing(false));
    $("dlq-filters").addEventListener("submit", (event) => { event.preventDefault(); selectedLetter = null; $("dlq-letter").hidden = true; refresh(); });
    $("dlq-dry-run-filtered").addEventListener("click", () => replay(filteredPayload(), true));
    $("dlq-replay-filtered").addEventListener("click", () => replay(filteredPayload(), false));
    $("dlq-dry-run-one").addEventListener("click", () => selectedLetter && replay({ letters: [selectedLetter] }, true));
    $("dlq-replay-one").addEventListener("click", () => selectedLetter && replay({ letters: [selectedLetter] }, false));
    for (const step of ["canary", "promote", "abort", "cutover", "rollback"]) $("deploy-" + step).addEventListener("click", () => deploy(step));
    $("deploy-form").addEventListener("submit", (event) => event.preventDefault());
    $("order-form").addEventListener("submit", (event) => { event.preventDefault(); history.replaceState(null, "", "#orders/" + encodeURIComponent($("order-id").value.trim())); refresh(); });
    window.addEventListener("hashchange", route);
    route();
    setInterval(() => { if (!document.hidden && !$("confirm").open && current !== "orders") refresh(); }, REFRESH_MS);
  });

  function route() {
    const hash = decodeURIComponent(location.hash.slice(1));
    if (hash.startsWith("orders/")) {
      $("order-id").value = hash.slice("orders/".length);
      show("orders");
      return;
    }
    show(hash);
  }
})();
