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

  function onCall(call, storedResponse) {
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
    if (event.kind === "snapshot") onCall(event.calls[0], event.response);
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
