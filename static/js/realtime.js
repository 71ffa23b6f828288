// The one socket of this tab: receives events pushed by the server and re-dispatches them
// as DOM events ("maillage:<type>") for page scripts. Writes never go through the socket.
//
// The channel layer delivers at most once, so every event carries this user's own increasing
// `seq`. After a gap (seq > last + 1) and after every (re)connection the tab resyncs: it asks
// GET /api/v1/unread for the counts and a new seq baseline, then dispatches "maillage:resync"
// so that page scripts fetch what they missed (by id, de-duplicating).
// It also owns the unread counts (navigation badge), published as "maillage:unread".
(function () {
  "use strict";
  const UNAUTHENTICATED = 4401;
  let socket = null;
  let retry = 0;
  let retryTimer = null;
  let lastEventId = null;
  let lastSeq = null;
  let resyncing = null;
  let resyncAgain = false;
  let lastResyncAt = 0;
  const IN_FLIGHT_MS = 10000;
  const me = Number(document.body.dataset.userId || 0);
  const unread = { total: null, conversations: {} };

  function url() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + "/ws/";
  }

  function isOpen() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  // --- Unread counts (navigation badge) ---------------------------------------------------

  function showTotal(total) {
    const badge = document.querySelector("[data-unread-badge]");
    if (!badge) {
      return;
    }
    const count = badge.querySelector("[data-unread-total]");
    if (count) {
      count.textContent = String(total);
    }
    badge.hidden = total <= 0;
  }

  function publishUnread() {
    let total = 0;
    Object.keys(unread.conversations).forEach(function (id) {
      total += unread.conversations[id];
    });
    unread.total = total;
    showTotal(total);
    document.dispatchEvent(
      new CustomEvent("maillage:unread", {
        detail: { total: total, conversations: Object.assign({}, unread.conversations) },
      })
    );
  }

  document.addEventListener("maillage:message.created", function (event) {
    const data = event.detail.data || {};
    if (!data.author || data.author.id === me || unread.total === null) {
      return; // my own message, or counts not known yet (the resync will bring them)
    }
    const id = String(data.conversation);
    unread.conversations[id] = (unread.conversations[id] || 0) + 1;
    publishUnread();
  });

  document.addEventListener("maillage:conversation.read", function (event) {
    const data = event.detail.data || {};
    if (data.user !== me || typeof data.unread !== "number" || unread.total === null) {
      return; // someone else's read receipt
    }
    unread.conversations[String(data.conversation)] = data.unread;
    publishUnread();
  });

  // --- Resync -------------------------------------------------------------------------------

  function resync() {
    if (resyncing) {
      resyncAgain = true; // something else was missed while we were asking
      return resyncing;
    }
    resyncing = fetch("/api/v1/unread", {
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
        if (typeof body.seq === "number" && lastSeq !== null && body.seq < lastSeq) {
          // Newer events arrived while we were asking: this snapshot may predate them.
          resyncAgain = true;
          return;
        }
        if (typeof body.seq === "number") {
          lastSeq = body.seq;
          lastResyncAt = Date.now();
        }
        unread.conversations = {};
        Object.keys(body.conversations || {}).forEach(function (id) {
          unread.conversations[String(id)] = Number(body.conversations[id]) || 0;
        });
        publishUnread();
        document.dispatchEvent(new CustomEvent("maillage:resync", { detail: body }));
      })
      .catch(function () {
        // Offline or a server hiccup: the next reconnection or gap tries again.
      })
      .finally(function () {
        resyncing = null;
        if (resyncAgain) {
          resyncAgain = false;
          resync();
        }
      });
    return resyncing;
  }

  // --- Socket -------------------------------------------------------------------------------

  function send(frame) {
    if (!isOpen()) {
      return false;
    }
    socket.send(JSON.stringify(frame));
    return true;
  }

  function presence() {
    send({ type: "presence", status: document.visibilityState === "hidden" ? "away" : "online" });
  }

  function scheduleReconnect() {
    // Exponential back-off with jitter, capped at 30 s.
    const delay = Math.min(30000, 1000 * Math.pow(2, retry)) * (0.5 + Math.random() / 2);
    retry += 1;
    retryTimer = window.setTimeout(connect, delay);
  }

  function connect() {
    retryTimer = null;
    socket = new WebSocket(url());
    socket.addEventListener("open", function () {
      retry = 0;
      if (document.visibilityState === "hidden") {
        presence();
      }
      document.dispatchEvent(new CustomEvent("maillage:connected", { detail: { since: lastEventId } }));
      // Whatever happened while we were not connected (or before this page's first render).
      resync();
    });
    socket.addEventListener("message", function (message) {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (!event || typeof event !== "object") {
        return;
      }
      let gap = false;
      if (typeof event.seq === "number") {
        if (lastSeq !== null && event.seq <= lastSeq) {
          if (Date.now() - lastResyncAt < IN_FLIGHT_MS) {
            return; // in flight during the last resync, which already counted it
          }
          gap = true; // the server's numbering restarted (Redis flushed): start again from it
        } else {
          gap = lastSeq !== null && event.seq > lastSeq + 1;
        }
        lastSeq = event.seq;
      }
      if (event.id) {
        lastEventId = event.id;
      }
      document.dispatchEvent(new CustomEvent("maillage:" + event.type, { detail: event }));
      if (gap) {
        resync();
      }
    });
    socket.addEventListener("close", function (closing) {
      document.dispatchEvent(new CustomEvent("maillage:disconnected", { detail: { code: closing.code } }));
      if (closing.code === UNAUTHENTICATED) {
        return; // Signed out or deactivated: reconnecting would not help.
      }
      scheduleReconnect();
    });
  }

  // Back on the network: no need to wait for the back-off.
  window.addEventListener("online", function () {
    if (retryTimer !== null) {
      window.clearTimeout(retryTimer);
      retry = 0;
      connect();
    } else if (socket && socket.readyState !== WebSocket.OPEN) {
      retry = 0;
    }
  });

  document.addEventListener("visibilitychange", presence);

  document.addEventListener("maillage:notification.count", function (event) {
    const badge = document.querySelector("[data-notification-count]");
    if (!badge) {
      return;
    }
    const count = event.detail.data.count;
    badge.textContent = count > 0 ? String(count) : "";
    badge.hidden = count <= 0;
  });

  window.Maillage = window.Maillage || {};
  window.Maillage.socket = function () {
    return socket;
  };
  window.Maillage.connected = isOpen;
  window.Maillage.send = send;
  window.Maillage.resync = resync;
  window.Maillage.unread = function () {
    return { total: unread.total, conversations: Object.assign({}, unread.conversations) };
  };

  if (me) {
    connect();
  }
})();
