// The meeting page, live: realtime.js re-dispatches the socket's events as
// "maillage:meeting.*" DOM events (their payload carries ids only); this module refreshes the
// affected fragment with an htmx GET of its partial, where the server applies the policy again,
// and announces the change politely. A fragment holding the keyboard focus is refreshed only
// once the focus leaves it, so nobody loses what they are typing.
// After an action sent with htmx (position, « prêt », comment), focus goes to the element named
// by the form's data-focus-after, so keyboard and screen-reader users keep their place.
(function () {
  "use strict";
  const root = document.querySelector("[data-meeting]");
  if (!root || !window.htmx) {
    return;
  }
  const meetingId = Number(root.dataset.meeting);
  const pageUrl = root.dataset.meetingUrl;
  const announcer = root.querySelector("[data-live-announce]");
  const pending = new Set();
  let announceTimer = null;

  function announce(text) {
    if (!announcer || !text) {
      return;
    }
    clearTimeout(announceTimer);
    announcer.textContent = "";
    announceTimer = setTimeout(function () {
      announcer.textContent = text;
    }, 100);
  }

  function refresh(selector, url) {
    const target = document.querySelector(selector);
    if (!target) {
      return Promise.resolve();
    }
    if (target.contains(document.activeElement) && document.activeElement !== document.body) {
      // Later: the person is working in this fragment.
      if (!pending.has(selector)) {
        pending.add(selector);
        target.addEventListener(
          "focusout",
          function later() {
            setTimeout(function () {
              if (target.isConnected && target.contains(document.activeElement)) {
                target.addEventListener("focusout", later, { once: true });
                return;
              }
              pending.delete(selector);
              refresh(selector, url);
            }, 0);
          },
          { once: true }
        );
      }
      return Promise.resolve();
    }
    return window.htmx.ajax("GET", url, { target: selector, swap: "outerHTML" });
  }

  function fragment(name, selector) {
    return refresh(selector, pageUrl + "?fragment=" + encodeURIComponent(name));
  }

  function item(id) {
    const element = document.getElementById("point-" + Number(id));
    if (!element) {
      return fragment("agenda", "#ordre-du-jour");
    }
    return refresh("#point-" + Number(id), element.dataset.itemUrl);
  }

  function mine(event) {
    const data = (event.detail && event.detail.data) || {};
    return Number(data.meeting) === meetingId ? data : null;
  }

  function own(data) {
    return Number(data.user) === Number(document.body.dataset.userId);
  }

  document.addEventListener("maillage:meeting.opinion", function (event) {
    const data = mine(event);
    if (!data) {
      return;
    }
    fragment("preparation", "#preparation");
    // The author's own item was already re-rendered by the response to their form: refreshing
    // it again would drop its confirmation and the keyboard focus.
    if (!own(data)) {
      item(data.item);
      announce(root.dataset.textOpinion);
    }
  });

  document.addEventListener("maillage:meeting.comment", function (event) {
    const data = mine(event);
    if (!data) {
      return;
    }
    item(data.item);
    announce(root.dataset.textComment);
  });

  document.addEventListener("maillage:meeting.ready", function (event) {
    const data = mine(event);
    if (!data) {
      return;
    }
    fragment("preparation", "#preparation");
    if (!own(data) && document.getElementById("preparation")) {
      announce(root.dataset.textReady);
    }
  });

  document.addEventListener("maillage:meeting.item", function (event) {
    const data = mine(event);
    if (!data) {
      return;
    }
    if (data.action === "updated" || data.action === "synthesis") {
      item(data.item);
    } else {
      fragment("agenda", "#ordre-du-jour");
      fragment("preparation", "#preparation");
    }
    announce(root.dataset.textItem);
  });

  document.addEventListener("maillage:meeting.updated", function (event) {
    const data = mine(event);
    if (!data) {
      return;
    }
    fragment("header", "#meeting-header");
    fragment("preparation", "#preparation");
    fragment("decisions", "#decisions");
    if (data.what === "status" || data.what === "cancelled") {
      fragment("agenda", "#ordre-du-jour");
      fragment("me", "#ma-preparation");
    }
    announce(root.dataset.textUpdated);
  });

  document.addEventListener("maillage:meeting.closed", function (event) {
    if (!mine(event)) {
      return;
    }
    fragment("header", "#meeting-header");
    fragment("agenda", "#ordre-du-jour");
    fragment("decisions", "#decisions");
    fragment("me", "#ma-preparation");
    announce(root.dataset.textClosed);
  });

  // Focus after an htmx action: the form names where the result is announced.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    if (form && form.matches && form.matches("form[data-focus-after]")) {
      root.dataset.focusAfter = form.dataset.focusAfter;
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    const selector = root.dataset.focusAfter;
    if (!selector) {
      return;
    }
    delete root.dataset.focusAfter;
    const element = document.querySelector(selector);
    if (!element) {
      return;
    }
    // A refused form: the focus goes to its error summary instead.
    const container = element.closest("li, section");
    const alert = container && container.querySelector(".message--error[role=alert]");
    const goal = alert || element;
    if (!goal.hasAttribute("tabindex")) {
      goal.setAttribute("tabindex", "-1");
    }
    goal.focus();
  });
})();
