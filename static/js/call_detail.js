/* One call's page: status, urgency and timings follow the call's events; the response streams in.
 * When the call ends the server sends the stored response in full (a snapshot), which replaces
 * whatever was streamed.
 */
(function () {
  "use strict";

  const live = window.triageLive;
  const config = JSON.parse(document.getElementById("call-config").textContent);
  const response = document.getElementById("response");
  const field = (name) => document.querySelector('[data-live="' + name + '"]');

  const shown = document.getElementById("shown");
  const verdict = document.getElementById("reply-verdict");

  function paintVerdict(call) {
    if (call.reply_passed === null) {
      verdict.textContent = call.cards.length ? "The reply is being written; read the card meanwhile." : "";
      if (call.status === "queued") shown.textContent = "";
      return;
    }
    verdict.textContent = call.reply_passed
      ? "Checked reply: it passed every rule of the card's checker."
      : "Vetted card shown (reply failed: " + call.reply_check_reasons.join("; ") + ").";
    verdict.className = "reply-verdict " + (call.reply_passed ? "passed" : "card-shown");
  }

  function onCall(call, storedResponse, storedShown) {
    paintVerdict(call);
    if (storedShown !== undefined) shown.textContent = storedShown;
    else if (call.shown_preview && call.status === "done" && !shown.textContent) shown.textContent = call.shown_preview;
    live.paintBadge(field("priority_label"), call);
    live.paintStatus(field("status"), call.status);
    field("failure_reason").textContent = call.failure_reason;
    for (const name of ["queueing_delay_s", "ttft_s", "latency_s"]) {
      field(name).textContent = live.formatSeconds(call[name]);
    }
    field("output_tokens").textContent = call.output_tokens ?? "–";
    field("num_preemptions").textContent = call.num_preemptions;
    // The database holds the response once the call is done; until then only the stream has it.
    if (storedResponse !== undefined && (storedResponse || call.status !== "generating")) {
      response.textContent = storedResponse;
    } else if (call.status === "queued") {
      response.textContent = "";  // (re)queued: generation starts from the prompt again
    }
  }

  const socketState = document.getElementById("socket-state");
  live.connect(config.socketPath, function (event) {
    if (event.kind === "snapshot") onCall(event.calls[0], event.response, event.shown);
    else if (event.kind === "call" && event.call.id === config.callId) onCall(event.call);
    else if (event.kind === "tokens") {
      for (const delta of event.deltas) {
        if (delta.call_id === config.callId) response.textContent += delta.text;
      }
    }
  }, function (state) {
    socketState.textContent = state;
  });
})();
