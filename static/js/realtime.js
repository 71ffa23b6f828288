// The one socket of this tab: receives events pushed by the server and re-dispatches them
// as DOM events ("maillage:<type>") for page scripts. Writes never go through the socket.
(function () {
  "use strict";
  const UNAUTHENTICATED = 4401;
  let socket = null;
  let retry = 0;
  let lastEventId = null;

  function url() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + "/ws/";
  }

  function connect() {
    socket = new WebSocket(url());
    socket.addEventListener("open", function () {
      retry = 0;
      document.dispatchEvent(new CustomEvent("maillage:connected", { detail: { since: lastEventId } }));
    });
    socket.addEventListener("message", function (message) {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (event.id) {
        lastEventId = event.id;
      }
      document.dispatchEvent(new CustomEvent("maillage:" + event.type, { detail: event }));
    });
    socket.addEventListener("close", function (closing) {
      if (closing.code === UNAUTHENTICATED) {
        return; // Signed out or deactivated: reconnecting would not help.
      }
      // Exponential back-off with jitter, capped at 30 s.
      const delay = Math.min(30000, 1000 * Math.pow(2, retry)) * (0.5 + Math.random() / 2);
      retry += 1;
      window.setTimeout(connect, delay);
    });
  }

  document.addEventListener("maillage:notification.count", function (event) {
    const badge = document.querySelector("[data-notification-count]");
    if (!badge) {
      return;
    }
    const count = event.detail.data.count;
    badge.textContent = count > 0 ? String(count) : "";
    badge.hidden = count <= 0;
  });

  if (document.body.dataset.userId) {
    connect();
  }
  window.Maillage = window.Maillage || {};
  window.Maillage.socket = function () {
    return socket;
  };
})();
