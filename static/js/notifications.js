// The bell's unread count: realtime.js shows each "notification.count" pushed by the server;
// after a (re)connection or a gap it resyncs, and this script then asks the API for the count
// (a count pushed while the socket was down is not replayed).
(function () {
  "use strict";

  function show(count) {
    document.dispatchEvent(
      new CustomEvent("maillage:notification.count", { detail: { data: { count: count } } })
    );
  }

  document.addEventListener("maillage:resync", function () {
    fetch("/api/v1/notifications?unread=true&limit=1", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (body) {
        if (typeof body.unread_count === "number") {
          show(body.unread_count);
        }
      })
      .catch(function () {
        // Offline or a hiccup: the next resync tries again.
      });
  });
})();
