// Feeds and composers: @mention suggestions in text areas, focus after « Charger plus »,
// no publishing while an attached file is still being sent.
//
// A textarea with `data-mentions-url` suggests people while an @handle is typed: the server
// answers the options of a listbox (only people who may read the post). The textarea keeps
// the focus and points at the highlighted option with aria-activedescendant (the ARIA
// combobox pattern for a multi-line field); arrows move, Enter or Tab insert, Escape closes.
(function () {
  "use strict";
  // The @handle being typed, just before the caret (as social/rendering.py reads mentions).
  const TYPED_MENTION = /(?:^|[^\w.@/])@([a-z0-9][a-z0-9.-]{0,29})$/i;
  const DELAY_MS = 150;
  let serial = 0;

  function setup(textarea) {
    if (textarea.dataset.mentionsReady) {
      return;
    }
    textarea.dataset.mentionsReady = "true";
    serial += 1;
    const baseId = (textarea.id || "mention-field-" + serial) + "-mentions";
    const listbox = document.createElement("ul");
    listbox.id = baseId;
    listbox.className = "mentions";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", textarea.dataset.mentionsLabel || "");
    listbox.hidden = true;
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    textarea.insertAdjacentElement("afterend", status);
    textarea.insertAdjacentElement("afterend", listbox);
    textarea.setAttribute("aria-controls", baseId);

    let options = [];
    let active = -1;
    let start = -1;
    let timer = null;
    let request = 0;

    function close() {
      listbox.hidden = true;
      listbox.replaceChildren();
      options = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        textarea.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function insert(option) {
      const handle = option.dataset.handle;
      const caret = textarea.selectionStart;
      const before = textarea.value.slice(0, start);
      const after = textarea.value.slice(caret);
      const mention = "@" + handle + " ";
      textarea.value = before + mention + after;
      const position = before.length + mention.length;
      textarea.setSelectionRange(position, position);
      close();
      status.textContent = (textarea.dataset.mentionsInserted || "") + " @" + handle;
      textarea.focus();
    }

    function show(html) {
      const template = document.createElement("template");
      template.innerHTML = html;
      listbox.replaceChildren(template.content);
      options = Array.from(listbox.querySelectorAll('[role="option"]'));
      options.forEach(function (option, i) {
        option.id = baseId + "-" + i;
      });
      if (!options.length) {
        close();
        status.textContent = textarea.dataset.mentionsNone || "";
        return;
      }
      listbox.hidden = false;
      highlight(0);
      status.textContent = options.length + " " + (textarea.dataset.mentionsHelp || "");
    }

    function lookup() {
      const caret = textarea.selectionStart;
      if (caret !== textarea.selectionEnd) {
        close();
        return;
      }
      const match = TYPED_MENTION.exec(textarea.value.slice(0, caret));
      if (!match) {
        close();
        return;
      }
      start = caret - match[1].length - 1;
      const url = textarea.dataset.mentionsUrl;
      const query = (url.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(match[1]);
      request += 1;
      const mine = request;
      fetch(url + query, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          return response.ok ? response.text() : "";
        })
        .then(function (html) {
          if (mine === request) {
            show(html);
          }
        })
        .catch(function () {
          close();
        });
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, DELAY_MS);
    });
    textarea.addEventListener("keydown", function (event) {
      if (listbox.hidden || !options.length) {
        return;
      }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + options.length) % options.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        insert(options[active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    textarea.addEventListener("blur", function () {
      window.setTimeout(close, 200);
    });
    // Keep the focus in the textarea when an option is clicked.
    listbox.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    listbox.addEventListener("click", function (event) {
      const option = event.target.closest('[role="option"]');
      if (option) {
        insert(option);
      }
    });
  }

  function scan(root) {
    if (root.matches && root.matches("textarea[data-mentions-url]")) {
      setup(root);
    }
    if (root.querySelectorAll) {
      root.querySelectorAll("textarea[data-mentions-url]").forEach(setup);
    }
  }

  // static/js/uploads.js marks each file's row once settled (done, error or cancelled); a post
  // published before its files are in would go without them.
  const SENDING = ".upload:not(.upload--done):not(.upload--error):not(.upload--cancelled)";
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches || !form.matches(".composer__form")) {
      return;
    }
    const pending = form.querySelector("[data-attachments-pending]");
    if (!form.querySelector(SENDING)) {
      if (pending) {
        pending.hidden = true;
      }
      return;
    }
    event.preventDefault();
    if (pending) {
      pending.hidden = false;
      pending.setAttribute("tabindex", "-1");
      pending.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    scan(document);
  });
  document.addEventListener("htmx:load", function (event) {
    scan(event.target);
    // « Charger plus »: the first new post takes the focus, so keyboard users read on.
    if (event.target.matches && event.target.matches("[data-feed-next]")) {
      event.target.focus();
    }
  });
})();
