/* The dispatcher dashboard: everything on it moves with events from the live socket.
 *
 * Calls list (newest first, waiting time ticking, response streaming in), queue view and engine
 * status (from "engine" events), and Plotly charts that only ever grow (Plotly.extendTraces).
 * The intake form posts with fetch so the page, and its charts, stay as they are.
 */
(function () {
  "use strict";

  const live = window.triageLive;
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const LEVELS = config.levels;
  const WORKER_ACTIVE_MS = config.workerActiveS * 1000;
  const MAX_ROWS = 50;
  const MAX_POINTS = 600;  // per trace: the charts keep the latest points only
  const PREVIEW_CHARS = 280;  // as live.RESPONSE_PREVIEW_CHARS: the start of the response
  const UNFINISHED = ["received", "classified", "queued"];

  const calls = new Map();  // call id -> {summary, response, row, cells}
  const plotted = new Set();  // ids of calls already on the latency and TTFT charts
  const workers = new Map();  // worker name -> {event, seenAt}
  const inBroker = new Map();  // call id -> urgency, for calls rated but not yet taken by an engine
  const inEngines = new Map();  // call id -> {urgency, status}: held by an engine, per the calls' own events
  const throughputTrace = new Map();  // worker name -> trace index
  let clockOffsetMs = 0;  // server clock minus this browser's clock
  const charts = window.Plotly ? initCharts() : null;

  // ---- calls list ------------------------------------------------------------------------

  const rows = document.getElementById("call-rows");

  function onSnapshot(event) {
    if (event.server_time) clockOffsetMs = live.parseTime(event.server_time) - Date.now();
    calls.clear();
    rows.replaceChildren();
    inBroker.clear();
    (event.in_broker || []).forEach(([id, urgency]) => inBroker.set(id, urgency));
    inEngines.clear();
    (event.in_engines || []).forEach(([id, urgency, status]) => inEngines.set(id, {urgency, status}));
    event.calls.forEach(onCall);
    if (!event.calls.length) showEmpty();
    if (event.status) onStatus(event.status);
    if (event.history) plotHistory(event.history);
    paintEngine(Date.now());
  }

  /** After a (re)load the waiting and throughput charts begin with the server's recent past. */
  function plotHistory(history) {
    if (!charts || charts.queue.data.some((trace) => trace.x.length)) return;
    const at = history.times.map((time) => new Date(live.parseTime(time)));
    Plotly.extendTraces(charts.queue, {x: LEVELS.map(() => at), y: LEVELS.map((level) => history.waiting[level.value])},
                        LEVELS.map((level) => level.value), MAX_POINTS);
    fitCountAxis(charts.queue);
    for (const [worker, rates] of Object.entries(history.tokens_per_s)) {
      throughputTrace.set(worker, throughputTrace.size);
      Plotly.addTraces(charts.throughput, {x: at, y: rates, name: worker, mode: "lines+markers", marker: {size: 4}});
    }
    for (const element of [charts.queue, charts.throughput]) Plotly.relayout(element, {"xaxis.autorange": true});
  }

  function onStatus(status) {
    // Outages the server sees (broker down, no engine reporting): shown until they end.
    const list = document.getElementById("service-alerts");
    list.replaceChildren(...status.alerts.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    list.hidden = !status.alerts.length;
  }

  function onCall(summary) {
    if (summary.status === "classified") inBroker.set(summary.id, summary.priority);
    else inBroker.delete(summary.id);
    if (summary.status === "queued" || summary.status === "generating") {
      inEngines.set(summary.id, {urgency: summary.priority, status: summary.status});
    } else inEngines.delete(summary.id);
    let entry = calls.get(summary.id);
    if (!entry) {
      entry = makeRow(summary);
      calls.set(summary.id, entry);
      insertRow(entry, summary);
    }
    // A stored preview is the truth once it exists; a requeued call starts its text again.
    if (summary.response_preview || UNFINISHED.includes(summary.status)) entry.response = summary.response_preview;
    entry.summary = summary;
    paintRow(entry);
    if (summary.status === "done") plotFinished(summary);
  }

  function onTokens(event) {
    for (const delta of event.deltas) {
      const entry = calls.get(delta.call_id);
      if (!entry || entry.response.length >= PREVIEW_CHARS) continue;
      entry.response = (entry.response + delta.text).slice(0, PREVIEW_CHARS);
      paintReply(entry);
    }
  }

  function makeRow(summary) {
    const row = document.createElement("tr");
    row.id = "call-" + summary.id;
    row.dataset.callId = summary.id;
    const cells = {};
    for (const name of ["id", "received", "from", "waiting", "urgency", "card", "status", "text", "response"]) {
      cells[name] = row.insertCell();
      cells[name].className = "col-" + name;
    }
    const link = document.createElement("a");
    link.href = "/calls/" + summary.id + "/";
    link.textContent = "#" + summary.id;
    cells.id.appendChild(link);
    const badge = document.createElement("span");
    badge.className = "badge";
    cells.urgency.appendChild(badge);
    cells.badge = badge;
    cells.note = document.createElement("span");
    cells.note.className = "reply-note";
    cells.reply = document.createElement("span");
    cells.response.append(cells.note, cells.reply);
    return {summary: summary, response: "", row: row, cells: cells};
  }

  function sortKey(summary) {
    return [live.parseTime(summary.received_at), summary.id];
  }

  function isNewer(a, b) {
    const [timeA, idA] = sortKey(a);
    const [timeB, idB] = sortKey(b);
    return timeA !== timeB ? timeA > timeB : idA > idB;
  }

  function insertRow(entry, summary) {
    rows.querySelector("tr.empty")?.remove();
    let before = null;
    for (const row of rows.children) {
      const other = calls.get(Number(row.dataset.callId));
      if (other && isNewer(summary, other.summary)) { before = row; break; }
    }
    rows.insertBefore(entry.row, before);
    while (rows.children.length > MAX_ROWS) {
      const last = rows.lastElementChild;
      calls.delete(Number(last.dataset.callId));
      last.remove();
    }
  }

  function showEmpty() {
    const row = rows.insertRow();
    row.className = "empty";
    const cell = row.insertCell();
    cell.colSpan = 9;
    cell.textContent = "No calls yet.";
  }

  function paintRow(entry) {
    const summary = entry.summary;
    const cells = entry.cells;
    entry.row.style.setProperty("--level-colour", summary.priority_colour || "#9e9e9e");
    entry.row.className = "status-" + summary.status;
    cells.received.textContent = new Date(live.parseTime(summary.received_at)).toLocaleTimeString();
    live.paintBadge(cells.badge, summary);
    cells.status.textContent = summary.status;
    cells.text.textContent = summary.text_preview;
    cells.text.title = summary.text_preview;
    cells.from.textContent = summary.source_label + (summary.location ? " · " + summary.location : "");
    cells.card.textContent = summary.cards.map((card) => card.title).join(" + ");
    paintReply(entry);
    paintWaiting(entry, Date.now());
  }

  /** While generating: the raw text streaming in, greyed and marked as an unchecked draft (the
   * card on the row is what to read meanwhile). Once done: what the dispatcher may read out (the
   * checked reply, or the vetted card when the reply failed), always with a note saying which. */
  function paintReply(entry) {
    const summary = entry.summary;
    const cells = entry.cells;
    cells.note.textContent = "";
    cells.note.className = "reply-note";
    cells.reply.className = "";
    if (summary.status === "failed") {
      cells.reply.textContent = summary.failure_reason;
    } else if (summary.reply_passed === null) {
      if (entry.response || summary.status === "generating") {
        cells.note.textContent = "Unchecked draft, being written: do not read it out; read the card";
        cells.note.className = "reply-note draft";
        cells.reply.className = "draft-text";
      }
      cells.reply.textContent = entry.response;
    } else {
      const cut = summary.finish_reason === "length" ? " (reply cut at the length cap)" : "";
      cells.note.textContent = summary.reply_passed ? "Checked reply · machine-written"
        : "Vetted card shown · reply failed: " + summary.reply_check_reasons.join("; ") + cut;
      if (!summary.reply_passed) cells.note.className = "reply-note card-shown";
      cells.reply.textContent = summary.shown_preview;
    }
  }

  function paintWaiting(entry, nowMs) {
    const summary = entry.summary;
    let text;
    // Waiting is the time until the engine took the call; the total is said apart.
    if (summary.status === "failed") text = "–";
    else if (summary.queueing_delay_s !== null) {
      text = "waited " + live.formatWait(summary.queueing_delay_s);
      if (summary.status === "done") text += " · total " + live.formatWait(summary.latency_s);
    } else text = live.formatWait((nowMs + clockOffsetMs - live.parseTime(summary.received_at)) / 1000);
    entry.cells.waiting.textContent = text;
  }

  // ---- engine status and queue -----------------------------------------------------------

  function onEngine(event) {
    const now = Date.now();
    workers.set(event.worker, {event: event, seenAt: now});
    paintEngine(now);
    if (!charts) return;
    const at = new Date(event.time * 1000);
    const totals = activeTotals(now);
    const waiting = LEVELS.map((level) => totals.waiting[level.value] + brokerCount(level.value));
    Plotly.extendTraces(charts.queue, {
      x: LEVELS.map(() => [at]),
      y: waiting.map((count) => [count]),
    }, LEVELS.map((level) => level.value), MAX_POINTS);
    fitCountAxis(charts.queue);
    if (!throughputTrace.has(event.worker)) {
      throughputTrace.set(event.worker, throughputTrace.size);
      Plotly.addTraces(charts.throughput, {x: [], y: [], name: event.worker, mode: "lines+markers",
                                           marker: {size: 4}});
    }
    Plotly.extendTraces(charts.throughput, {x: [[at]], y: [[event.tokens_per_s]]},
                        [throughputTrace.get(event.worker)], MAX_POINTS);
  }

  function brokerCount(level) {
    return [...inBroker.values()].filter((urgency) => urgency === level).length;
  }

  function activeWorkers(nowMs) {
    return [...workers.entries()].filter(([, seen]) => nowMs - seen.seenAt <= WORKER_ACTIVE_MS);
  }

  function activeTotals(nowMs) {
    const totals = {waiting: LEVELS.map(() => 0), running: LEVELS.map(() => 0),
                    kvUsed: 0, kvBlocks: 0, batch: 0, tokensPerS: 0};
    for (const [, seen] of activeWorkers(nowMs)) {
      const event = seen.event;
      LEVELS.forEach((level) => {
        totals.waiting[level.value] += event.waiting[level.value] || 0;
        totals.running[level.value] += event.running[level.value] || 0;
      });
      totals.kvUsed += event.kv_blocks_used;
      totals.kvBlocks += event.kv_blocks;
      totals.batch += event.batch_size;
      totals.tokensPerS += event.tokens_per_s;
    }
    return totals;
  }

  function distinct(active, field) {
    return [...new Set(active.map(([, seen]) => seen.event[field]))].join(", ");
  }

  function paintEngine(nowMs) {
    const active = activeWorkers(nowMs);
    document.getElementById("engine-workers").textContent = String(active.length);
    if (active.length) {
      document.getElementById("engine-policy").textContent = distinct(active, "policy");
      document.getElementById("engine-model").textContent = distinct(active, "model");
      document.getElementById("engine-device").textContent = distinct(active, "device");
    }
    const list = document.getElementById("worker-list");
    list.replaceChildren(...[...workers.entries()].map(([name, seen]) => {
      const item = document.createElement("li");
      const ago = Math.round((nowMs - seen.seenAt) / 1000);
      const event = seen.event;
      const running = event.running.reduce((a, b) => a + b, 0);
      const waiting = event.waiting.reduce((a, b) => a + b, 0);
      const seats = event.seats ? running + "/" + event.seats + " seats" : running + " running";
      item.textContent = name + " · " + event.device + " · " + seats + " · " + waiting + " waiting · " +
        "running by urgency " + event.running.join("/") + " · last report " + ago + " s ago";
      item.className = nowMs - seen.seenAt <= WORKER_ACTIVE_MS ? "active" : "quiet";
      return item;
    }));

    const totals = activeTotals(nowMs);
    if (!active.length) {
      // No engine has reported yet (or all fell quiet): count what the calls themselves say, so the
      // queue never shows 0 running beside calls listed as generating.
      for (const {urgency, status} of inEngines.values()) {
        if (urgency === null || urgency === undefined) continue;
        (status === "generating" ? totals.running : totals.waiting)[urgency] += 1;
      }
    }
    for (const level of LEVELS) {
      const row = document.querySelector('.queue-table tr[data-level="' + level.value + '"]');
      row.querySelector('[data-queue="broker"]').textContent = brokerCount(level.value);
      row.querySelector('[data-queue="waiting"]').textContent = totals.waiting[level.value];
      row.querySelector('[data-queue="running"]').textContent = totals.running[level.value];
    }
    const kvUse = totals.kvBlocks ? totals.kvUsed / totals.kvBlocks : 0;
    document.getElementById("kv-meter").value = kvUse;
    document.getElementById("kv-use").textContent = totals.kvBlocks
      ? (100 * kvUse).toFixed(1) + " % (" + totals.kvUsed + " of " + totals.kvBlocks + " blocks)" : "–";
    document.getElementById("batch-size").textContent = active.length ? String(totals.batch) : "–";
    document.getElementById("throughput").textContent = active.length
      ? totals.tokensPerS.toFixed(1) + " tokens/s" : "–";
  }

  // ---- charts ----------------------------------------------------------------------------

  function initCharts() {
    const plotConfig = {displayModeBar: false, responsive: true};
    // Before any data the time axis shows the last two minutes (not Plotly's empty-date default).
    const now = Date.now() + clockOffsetMs;
    function layout(element) {
      return {title: {text: element.dataset.title, font: {size: 13}}, height: 280,
              margin: {l: 55, r: 10, t: 30, b: 75}, showlegend: true,
              legend: {orientation: "h", font: {size: 10}, y: -0.35},
              xaxis: {type: "date", range: [new Date(now - 120000), new Date(now + 10000)],
                      title: {text: element.dataset.xTitle, font: {size: 11}}},
              yaxis: {rangemode: "tozero", title: {text: element.dataset.yTitle, font: {size: 11}},
                      ...(element.dataset.counts ? {dtick: 1} : {})}};
    }
    function perLevel(mode) {
      return LEVELS.map((level) => ({x: [], y: [], name: level.label, mode: mode,
                                     line: {color: level.colour, shape: mode === "lines" ? "hv" : "linear"},
                                     marker: {color: level.colour, size: 7}}));
    }
    const made = {};
    for (const [name, traces] of [["latency", perLevel("markers")], ["ttft", perLevel("markers")],
                                  ["queue", perLevel("lines")], ["throughput", []]]) {
      const element = document.getElementById("chart-" + name);
      Plotly.newPlot(element, traces, layout(element), plotConfig);
      made[name] = element;
    }
    return made;
  }

  function plotFinished(summary) {
    if (!charts || plotted.has(summary.id) || summary.latency_s === null || summary.priority === null) return;
    plotted.add(summary.id);
    const at = [[new Date(live.parseTime(summary.finished_at))]];
    Plotly.extendTraces(charts.latency, {x: at, y: [[summary.latency_s]]}, [summary.priority], MAX_POINTS);
    fitTimeAxis(charts.latency);
    if (summary.ttft_s !== null) {
      Plotly.extendTraces(charts.ttft, {x: at, y: [[summary.ttft_s]]}, [summary.priority], MAX_POINTS);
      fitTimeAxis(charts.ttft);
    }
  }

  /** Whole calls: one tick per call while the counts are small, Plotly's own ticks beyond. */
  function fitCountAxis(element) {
    const most = Math.max(0, ...element.data.flatMap((trace) => trace.y));
    const dtick = most <= 10 ? 1 : null;
    if (element.layout.yaxis.dtick !== dtick) Plotly.relayout(element, {"yaxis.dtick": dtick});
  }

  /** Plotly spans a lone point's time axis over a millisecond: show two minutes around it. */
  function fitTimeAxis(element) {
    const times = new Set(element.data.flatMap((trace) => trace.x.map(Number)));
    if (times.size === 1) {
      const at = [...times][0];
      Plotly.relayout(element, {"xaxis.range": [new Date(at - 60000), new Date(at + 60000)]});
    } else if (times.size === 2) {
      Plotly.relayout(element, {"xaxis.autorange": true});
    }
  }

  // ---- call intake -----------------------------------------------------------------------

  const form = document.getElementById("intake-form");
  const flash = document.getElementById("intake-flash");

  function showErrors(errors) {
    for (const list of form.querySelectorAll("[data-errors-for]")) {
      list.replaceChildren(...(errors[list.dataset.errorsFor] || []).map((error) => {
        const item = document.createElement("li");
        item.textContent = error.message;
        return item;
      }));
    }
  }

  form.addEventListener("submit", async function (submitted) {
    submitted.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    flash.textContent = "sending…";
    try {
      const response = await fetch(window.location.pathname, {
        method: "POST", body: new FormData(form), headers: {Accept: "application/json"},
        credentials: "same-origin"});
      if (response.redirected && response.url.includes("/accounts/login/")) {
        window.location.assign(response.url);
        return;
      }
      if (response.status === 201) {
        const created = await response.json();
        form.reset();
        showErrors({});
        flash.textContent = "Call " + created.id + " received.";
      } else if (response.status === 400) {
        showErrors((await response.json()).errors);
        flash.textContent = "";
      } else {
        flash.textContent = "The call was not taken (HTTP " + response.status + ").";
      }
    } catch (error) {
      flash.textContent = "The call was not taken: " + error.message;
    } finally {
      button.disabled = false;
    }
  });

  // ---- wiring ----------------------------------------------------------------------------

  const socketState = document.getElementById("socket-state");
  live.connect(config.socketPath, function (event) {
    if (event.kind === "snapshot") onSnapshot(event);
    else if (event.kind === "call") onCall(event.call);
    else if (event.kind === "status") onStatus(event);
    else if (event.kind === "tokens") onTokens(event);
    else if (event.kind === "engine") onEngine(event);
  }, function (state) {
    socketState.textContent = state;
    socketState.className = "socket-state state-" + state.replace(/\W/g, "");
  });

  window.setInterval(function () {
    const now = Date.now();
    calls.forEach((entry) => paintWaiting(entry, now));
    paintEngine(now);
  }, 1000);
})();
