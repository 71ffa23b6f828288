// Page behaviour shared by every page: CSRF header for htmx requests.
(function () {
  "use strict";
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });
  window.Maillage = window.Maillage || {};
  window.Maillage.csrfToken = csrfToken;
})();
