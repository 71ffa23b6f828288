// Live group feed: subscribe to the group's events once the socket is up (and again after
// every reconnection), count new posts into a polite banner, and on « Afficher » reload the
// feed list in place through htmx (no page jump, focus on the list).
(function () {
  "use strict";
  const banner = document.querySelector("[data-live-feed]");
  if (!banner) {
    return;
  }
  const group = Number(banner.dataset.liveFeed);
  const text = banner.querySelector("[data-live-text]");
  const show = banner.querySelector("[data-live-show]");
  const seen = new Set();
  let count = 0;

  function subscribe() {
    if (window.Maillage && window.Maillage.send) {
      window.Maillage.send({ type: "subscribe", group: group });
    }
  }
  document.addEventListener("maillage:connected", subscribe);
  document.addEventListener("maillage:disconnected", function () {
    delete banner.dataset.subscribed;
  });
  // The server's acknowledgement (after its policy check): live from now on.
  document.addEventListener("maillage:subscribed", function (event) {
    if (Number(event.detail.group) === group) {
      banner.dataset.subscribed = "true";
    }
  });
  if (window.Maillage && window.Maillage.connected && window.Maillage.connected()) {
    subscribe();
  }

  function render() {
    const template = count === 1 ? banner.dataset.one : banner.dataset.many;
    text.textContent = count ? template.replace("%(count)s", String(count)) : "";
    show.hidden = count === 0;
    banner.classList.toggle("live-banner--active", count > 0);
  }

  document.addEventListener("maillage:post.created", function (event) {
    const data = event.detail.data || {};
    if (Number(data.group) !== group) {
      return;
    }
    const key = String(data.post && typeof data.post === "object" ? data.post.id : data.post);
    if (seen.has(key)) {
      return;
    }
    seen.add(key);
    count += 1;
    render();
  });

  show.addEventListener("click", function () {
    const selector = banner.dataset.target;
    window.htmx
      .ajax("GET", banner.dataset.url, { target: selector, select: selector, swap: "outerHTML" })
      .then(function () {
        count = 0;
        seen.clear();
        render();
        const list = document.querySelector(selector);
        if (list) {
          list.setAttribute("tabindex", "-1");
          list.focus();
        }
      });
  });
})();
