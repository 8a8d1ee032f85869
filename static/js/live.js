/* The live socket shared by the dashboard and call pages: connect, reconnect, hand events on.
 *
 * The server sends JSON events (triage_site/live.py): "snapshot" on connect, then "call",
 * "tokens" and "engine". Close code 4401 means the session ended: go to the login page.
 */
(function () {
  "use strict";

  const CLOSE_NOT_SIGNED_IN = 4401;
  const CLOSE_REFUSED = [4403, 4404];
  const MAX_RETRY_MS = 10000;

  function socketUrl(path) {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + path;
  }

  /** Open `path` and call onEvent(event) for each message; onState("open"|"closed"|...) too. */
  function connect(path, onEvent, onState) {
    let retryMs = 500;
    function open() {
      const socket = new WebSocket(socketUrl(path));
      socket.addEventListener("open", function () {
        retryMs = 500;
        onState("live");
      });
      socket.addEventListener("message", function (message) {
        onEvent(JSON.parse(message.data));
      });
      socket.addEventListener("close", function (closed) {
        if (closed.code === CLOSE_NOT_SIGNED_IN) {
          window.location.assign("/accounts/login/?next=" + encodeURIComponent(window.location.pathname));
          return;
        }
        if (CLOSE_REFUSED.includes(closed.code)) {
          onState("refused");
          return;
        }
        onState("reconnecting…");
        window.setTimeout(open, retryMs);  // the server restarted or the network dropped
        retryMs = Math.min(2 * retryMs, MAX_RETRY_MS);
      });
    }
    open();
  }

  /** An ISO time from the server as milliseconds (trimmed to what Date parses everywhere). */
  function parseTime(iso) {
    return iso ? Date.parse(iso.replace(/(\.\d{3})\d+/, "$1")) : null;
  }

  /** Seconds as "42 s" or "3:07". */
  function formatWait(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
    const whole = Math.max(0, Math.floor(seconds));
    if (whole < 60) return whole + " s";
    const rest = whole % 60;
    return Math.floor(whole / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function formatSeconds(value) {
    return value === null || value === undefined ? "–" : Number(value).toFixed(2);
  }

  /** Show a call's urgency on `element`: its label on its level's colour. */
  function paintBadge(element, call) {
    if (call.priority_label) {
      element.textContent = call.priority_label + (call.override_priority !== null ? " (override)" : "");
      element.style.setProperty("--level-colour", call.priority_colour);
      element.classList.remove("unrated");
    } else {
      element.textContent = call.status === "failed" ? "not rated" : "rating…";
      element.style.removeProperty("--level-colour");
      element.classList.add("unrated");
    }
  }

  function paintStatus(element, status) {
    element.textContent = status;
    element.className = element.className.replace(/\bstatus-\S+/g, "").trim() + " status-" + status;
  }

  window.triageLive = {
    connect: connect,
    parseTime: parseTime,
    formatWait: formatWait,
    formatSeconds: formatSeconds,
    paintBadge: paintBadge,
    paintStatus: paintStatus,
  };
})();
