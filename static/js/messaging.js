// Messaging pages: live conversation list badges, and on an open conversation the history,
// the composer (sent through the API with an idempotency key, retried with the same key),
// edit and delete, typing indicator, read state and « Vu ». Without this script the page
// still works: the composer posts to messaging:send and « Messages précédents » is a link.
(function () {
  "use strict";
  const me = Number(document.body.dataset.userId || 0);
  const PAGE = 50;
  const TYPING_EVERY_MS = 2000;
  const TYPING_SHOWN_MS = 5000;

  function csrf() {
    return window.Maillage && window.Maillage.csrfToken ? window.Maillage.csrfToken() : "";
  }

  function api(method, path, body) {
    const options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf() },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch("/api/v1" + path, options);
  }

  function items(body) {
    if (Array.isArray(body)) {
      return body;
    }
    return (body && (body.items || body.messages || body.results)) || [];
  }

  function errorDetail(body, fallback) {
    return body && typeof body.detail === "string" ? body.detail : fallback;
  }

  function plainText(html) {
    const box = document.createElement("div");
    box.innerHTML = html || "";
    return (box.textContent || "").replace(/\s+/g, " ").trim();
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // --- Conversation list (inbox and conversation pages) -------------------------------------

  document.addEventListener("maillage:unread", function (event) {
    const counts = event.detail.conversations || {};
    document.querySelectorAll("[data-conversation-unread]").forEach(function (badge) {
      const n = counts[badge.dataset.conversationUnread] || 0;
      const count = badge.querySelector("[data-count]");
      if (count) {
        count.textContent = String(n);
      }
      badge.hidden = n <= 0;
      const row = badge.closest("[data-conversation-row]");
      if (row) {
        row.classList.toggle("conversations__item--unread", n > 0);
      }
    });
  });

  // The list as the server renders it now (new conversation, people joined or left).
  function reloadList() {
    if (!document.querySelector(".conversations") || !window.htmx) {
      return;
    }
    window.htmx.ajax("GET", window.location.pathname, {
      target: ".conversations",
      select: ".conversations",
      swap: "outerHTML",
    });
  }
  document.addEventListener("maillage:conversation.updated", reloadList);

  const i18nNode = document.querySelector("[data-i18n]");
  const t = i18nNode ? i18nNode.dataset : {};

  document.addEventListener("maillage:message.created", function (event) {
    const data = event.detail.data || {};
    const preview = document.querySelector('[data-conversation-preview="' + data.conversation + '"]');
    if (!preview) {
      reloadList(); // a conversation this page does not list yet
      return;
    }
    const author = data.author || {};
    const name = author.id === me ? t.you || "Vous" : author.display_name || "";
    preview.textContent = (name ? name + " : " : "") + plainText(data.body_html);
  });

  // --- An open conversation -----------------------------------------------------------------

  const root = document.querySelector("[data-conversation]");
  if (!root) {
    return;
  }
  const conversationId = Number(root.dataset.conversation);
  const direct = root.dataset.direct === "true";
  const thread = root.querySelector("[data-thread]");
  const status = root.querySelector("[data-thread-status]");
  const typingNode = root.querySelector("[data-typing]");
  const seenNode = root.querySelector("[data-seen]");
  let myLastRead = Number(root.dataset.myLastRead || 0);
  let seenUpTo = root.dataset.seenUpTo !== undefined ? Number(root.dataset.seenUpTo) : null;
  const names = {};
  root.querySelectorAll("[data-participant]").forEach(function (node) {
    names[node.dataset.participant] = node.dataset.name;
  });

  function format(template, values) {
    return (template || "").replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function announce(text) {
    if (status) {
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = text;
      }, 50);
    }
  }

  const timeFormat = new Intl.DateTimeFormat(document.documentElement.lang || "fr", {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });

  function authorOf(message) {
    const author = message.author || {};
    return {
      id: Number(author.id !== undefined ? author.id : message.author_id),
      name: author.display_name || names[author.id] || "",
    };
  }

  function actionButton(attribute, label) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.setAttribute(attribute, "");
    button.append(label || "");
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " " + (t.thisMessage || "");
    button.append(hidden);
    return button;
  }

  function fillMessage(li, message) {
    const author = authorOf(message);
    const mine = author.id === me;
    const deleted = Boolean(message.deleted || message.is_deleted || message.deleted_at);
    const edited = Boolean(message.edited || message.edited_at);
    li.className = "msg" + (mine ? " msg--mine" : "");
    li.id = "message-" + message.id;
    li.dataset.message = String(message.id);
    li.dataset.author = String(author.id);
    li.replaceChildren();

    const meta = document.createElement("p");
    meta.className = "msg__meta";
    const who = document.createElement("span");
    who.className = "msg__author";
    who.textContent = mine ? t.you || "" : author.name;
    meta.append(who, " ");
    const when = document.createElement("time");
    if (message.created_at) {
      when.dateTime = message.created_at;
      when.textContent = timeFormat.format(new Date(message.created_at));
    }
    meta.append(when);
    if (edited && !deleted) {
      const mark = document.createElement("span");
      mark.className = "msg__edited";
      mark.dataset.edited = "";
      mark.textContent = t.edited || "";
      meta.append(" ", mark);
    }
    li.append(meta);

    if (deleted) {
      const body = document.createElement("p");
      body.className = "msg__body msg__body--deleted";
      body.dataset.body = "";
      body.textContent = t.deleted || "";
      li.append(body);
      return;
    }
    const body = document.createElement("div");
    body.className = "msg__body";
    body.dataset.body = "";
    body.innerHTML = message.body_html || ""; // rendered and sanitised by the server (nh3)
    li.append(body);
    const files = message.attachments || [];
    if (files.length) {
      const list = document.createElement("ul");
      list.className = "msg__files";
      list.setAttribute("aria-label", t.files || "");
      files.forEach(function (file) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = file.detail_url;
        link.textContent = file.name;
        item.append(link);
        list.append(item);
      });
      li.append(list);
    }
    if (mine) {
      const actions = document.createElement("div");
      actions.className = "msg__actions";
      actions.dataset.actions = "";
      actions.append(actionButton("data-edit", t.edit), " ", actionButton("data-delete", t.delete));
      li.append(actions);
    }
  }

  function find(id) {
    return thread.querySelector('[data-message="' + id + '"]');
  }

  function renderedIds() {
    return Array.from(thread.querySelectorAll("[data-message]"), function (node) {
      return Number(node.dataset.message);
    });
  }

  function lastRenderedId() {
    return renderedIds().reduce(function (a, b) {
      return Math.max(a, b);
    }, 0);
  }

  // Insert or update a message, in id order; never twice (events, resync and the send answer
  // may all bring the same one).
  function upsert(message) {
    if (!message || !message.id || Number(message.conversation || conversationId) !== conversationId) {
      return null;
    }
    let li = find(message.id);
    const isNew = li === null;
    if (isNew) {
      li = document.createElement("li");
      const later = Array.from(thread.querySelectorAll("[data-message]")).find(function (node) {
        return Number(node.dataset.message) > message.id;
      });
      thread.insertBefore(li, later || null);
      const empty = thread.querySelector("[data-empty]");
      if (empty) {
        empty.remove();
      }
    } else if (li.querySelector("[data-edit-form]")) {
      return li; // being edited here: keep the author's draft
    }
    fillMessage(li, message);
    return isNew ? li : null;
  }

  function updateSeen() {
    if (!seenNode || seenUpTo === null) {
      return;
    }
    const all = thread.querySelectorAll("[data-message]");
    const last = all[all.length - 1];
    seenNode.hidden = !(
      last && Number(last.dataset.author) === me && Number(last.dataset.message) <= seenUpTo
    );
  }

  // --- Read state -----------------------------------------------------------------------------

  let reading = false;
  function markRead() {
    if (reading || document.visibilityState !== "visible") {
      return;
    }
    const unreadOthers = Array.from(thread.querySelectorAll("[data-message]")).some(function (node) {
      return Number(node.dataset.message) > myLastRead && Number(node.dataset.author) !== me;
    });
    const counts = window.Maillage && window.Maillage.unread ? window.Maillage.unread() : null;
    const counted = counts && counts.conversations[String(conversationId)] > 0;
    if (!unreadOthers && !counted) {
      return;
    }
    const upTo = lastRenderedId();
    reading = true;
    api("POST", "/conversations/" + conversationId + "/read", { up_to: upTo })
      .then(function (response) {
        if (response.ok) {
          myLastRead = Math.max(myLastRead, upTo);
        }
      })
      .catch(function () {})
      .finally(function () {
        reading = false;
      });
  }

  // --- Typing ---------------------------------------------------------------------------------

  const typists = {};
  function showTyping() {
    const ids = Object.keys(typists);
    if (ids.length === 0) {
      typingNode.textContent = "";
    } else if (ids.length === 1) {
      typingNode.textContent = format(t.typingOne, { name: typists[ids[0]].name });
    } else {
      typingNode.textContent = t.typingMany || "";
    }
  }

  function stopTyping(userId) {
    if (typists[userId]) {
      window.clearTimeout(typists[userId].timer);
      delete typists[userId];
      showTyping();
    }
  }

  document.addEventListener("maillage:typing", function (event) {
    const data = event.detail.data || {};
    if (Number(data.conversation) !== conversationId) {
      return;
    }
    const user = typeof data.user === "object" && data.user !== null ? data.user : { id: data.user };
    const id = String(user.id);
    if (Number(id) === me) {
      return;
    }
    if (typists[id]) {
      window.clearTimeout(typists[id].timer);
    }
    typists[id] = {
      name: user.display_name || names[id] || "",
      timer: window.setTimeout(function () {
        stopTyping(id);
      }, TYPING_SHOWN_MS),
    };
    showTyping();
  });

  // --- Live events ----------------------------------------------------------------------------

  document.addEventListener("maillage:message.created", function (event) {
    const data = event.detail.data || {};
    if (Number(data.conversation) !== conversationId) {
      return;
    }
    const added = upsert(data);
    const author = authorOf(data);
    if (author.id !== me) {
      stopTyping(String(author.id));
      if (added) {
        announce(format(t.newMessage, { name: author.name }));
      }
      markRead();
    }
    updateSeen();
  });

  function changed(event) {
    const data = event.detail.data || {};
    if (Number(data.conversation) === conversationId && find(data.id)) {
      upsert(data);
    }
  }
  document.addEventListener("maillage:message.updated", changed);
  document.addEventListener("maillage:message.deleted", changed);

  document.addEventListener("maillage:conversation.read", function (event) {
    const data = event.detail.data || {};
    if (Number(data.conversation) !== conversationId) {
      return;
    }
    if (data.user === me) {
      myLastRead = Math.max(myLastRead, Number(data.last_read_id) || 0);
    } else if (direct) {
      seenUpTo = Math.max(seenUpTo || 0, Number(data.last_read_id) || 0);
      updateSeen();
    }
  });

  // After a gap or a reconnection: fetch what came after the last message shown.
  function catchUp() {
    const after = lastRenderedId();
    return api("GET", "/conversations/" + conversationId + "/messages?after=" + after + "&limit=" + PAGE)
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        const found = items(body);
        found.forEach(upsert);
        updateSeen();
        if (found.length && (body.has_more || found.length >= PAGE)) {
          return catchUp();
        }
        markRead();
        return null;
      })
      .catch(function () {});
  }
  document.addEventListener("maillage:resync", catchUp);

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      markRead();
    }
  });

  // --- Older messages -------------------------------------------------------------------------

  const older = root.querySelector("[data-older-link]");
  if (older) {
    older.addEventListener("click", function (event) {
      event.preventDefault();
      const before = Number(older.dataset.before);
      api("GET", "/conversations/" + conversationId + "/messages?before=" + before + "&limit=" + PAGE)
        .then(function (response) {
          return response.ok ? response.json() : Promise.reject(response);
        })
        .then(function (body) {
          const found = items(body);
          found.forEach(upsert);
          announce(format(t.olderLoaded, { count: found.length }));
          if (body.has_more === false || found.length < PAGE) {
            older.closest("[data-older]").remove();
            thread.focus();
          } else {
            const first = Math.min.apply(null, found.map(function (m) { return m.id; }));
            older.dataset.before = String(first);
            older.href = "?before=" + first;
          }
        })
        .catch(function () {
          window.location.href = older.href; // the page itself knows how
        });
    });
  }

  // --- Edit and delete ------------------------------------------------------------------------

  function reveal(scope) {
    scope.querySelectorAll("[data-actions]").forEach(function (node) {
      if (!node.closest("[data-message]").querySelector("[data-edit-form]")) {
        node.hidden = false;
      }
    });
  }
  reveal(thread);
  new MutationObserver(function () {
    reveal(thread);
  }).observe(thread, { childList: true, subtree: true });

  function openEditor(li) {
    const id = Number(li.dataset.message);
    const body = li.querySelector("[data-body]");
    if (!body || li.querySelector("[data-edit-form]")) {
      return;
    }
    const form = document.createElement("form");
    form.dataset.editForm = "";
    form.className = "msg__edit";
    const label = document.createElement("label");
    label.htmlFor = "edit-" + id;
    label.textContent = t.editLabel || "";
    const area = document.createElement("textarea");
    area.id = "edit-" + id;
    area.rows = 3;
    area.value = body.textContent.trim();
    const error = document.createElement("p");
    error.className = "errorlist";
    error.setAttribute("role", "alert");
    const save = document.createElement("button");
    save.type = "submit";
    save.textContent = t.save || "";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "button button--secondary";
    cancel.textContent = t.cancel || "";
    form.append(label, area, error, save, " ", cancel);
    body.hidden = true;
    li.querySelector("[data-actions]").hidden = true;
    li.append(form);
    area.focus();

    function close() {
      form.remove();
      body.hidden = false;
      reveal(li);
      const edit = li.querySelector("[data-edit]");
      if (edit) {
        edit.focus();
      }
    }
    cancel.addEventListener("click", close);
    area.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        close();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      api("PATCH", "/messages/" + id, { body: area.value })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (answer) {
          if (!answer.ok) {
            error.textContent = errorDetail(answer.data, t.failed);
            return;
          }
          form.remove();
          upsert(answer.data);
          const edit = find(id) && find(id).querySelector("[data-edit]");
          if (edit) {
            edit.focus();
          }
        })
        .catch(function () {
          error.textContent = t.failed || "";
        });
    });
  }

  thread.addEventListener("click", function (event) {
    const li = event.target.closest("[data-message]");
    if (!li) {
      return;
    }
    if (event.target.closest("[data-edit]")) {
      openEditor(li);
    } else if (event.target.closest("[data-delete]")) {
      if (!window.confirm(t.confirmDelete)) {
        return;
      }
      api("DELETE", "/messages/" + li.dataset.message)
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.status === 204 ? null : response.json();
        })
        .then(function (data) {
          if (data && data.id) {
            upsert(data);
          } else {
            upsert({ id: Number(li.dataset.message), author: { id: me }, deleted: true, conversation: conversationId });
          }
          thread.focus();
        })
        .catch(function () {
          announce(t.failed || "");
        });
    }
  });

  // --- Composer -------------------------------------------------------------------------------

  const composer = root.querySelector("[data-composer]");
  if (composer) {
    const area = composer.querySelector("textarea");
    const error = composer.querySelector("[data-composer-error]");
    const queue = [];
    let busy = false;
    let retries = 0;
    let retryTimer = null;
    let lastTyping = 0;

    function showError(text) {
      error.textContent = text || "";
      error.hidden = !text;
    }

    // --- Attached files ---------------------------------------------------------------------
    // static/js/uploads.js uploads each chosen file and adds its id to this form as a hidden
    // `attachments` input (data-attach-name); the list below shows them with « Retirer ».
    // The no-JS list of one's recent files stays usable: its chosen options go along too.
    const uploadBox = composer.querySelector("[data-attach-upload]");
    const attachedList = composer.querySelector("[data-attached]");
    const recent = composer.querySelector("[data-recent-files] select");
    const pending = composer.querySelector("[data-attachments-pending]");
    const fileInput = uploadBox ? uploadBox.querySelector('input[type="file"]') : null;
    // A row of uploads.js not yet settled (done, error or cancelled): still being sent.
    const SENDING = ".upload:not(.upload--done):not(.upload--error):not(.upload--cancelled)";
    if (uploadBox) {
      uploadBox.hidden = false;
    }

    function attachedInputs() {
      return Array.from(composer.querySelectorAll('input[type="hidden"][name="attachments"]'));
    }

    // The files going with the next message: [{id, name}], each once.
    function chosenFiles() {
      const files = attachedInputs().map(function (input) {
        const row = attachedList && attachedList.querySelector('[data-file="' + input.value + '"]');
        return { id: Number(input.value), name: row ? row.dataset.name : "" };
      });
      if (recent) {
        Array.from(recent.selectedOptions).forEach(function (option) {
          files.push({ id: Number(option.value), name: option.textContent.trim() });
        });
      }
      const seen = {};
      return files.filter(function (file) {
        if (!file.id || seen[file.id]) {
          return false;
        }
        seen[file.id] = true;
        return true;
      });
    }

    function removeAttached(row) {
      const id = row.dataset.file;
      attachedInputs().forEach(function (input) {
        if (input.value === id) {
          input.remove();
        }
      });
      const rows = Array.from(attachedList.children);
      const next = rows[rows.indexOf(row) + 1] || rows[rows.indexOf(row) - 1];
      row.remove();
      attachedList.hidden = !attachedList.children.length;
      announce(format(t.fileRemoved, { name: row.dataset.name }));
      // The next « Retirer », else the file chooser (if its section is open), else the text.
      const section = fileInput ? fileInput.closest("details") : null;
      const chooserShown = fileInput && (!section || section.open);
      const focusTarget = next ? next.querySelector("button") : chooserShown ? fileInput : area;
      if (focusTarget) {
        focusTarget.focus();
      }
    }

    function addAttached(id, name) {
      if (!attachedList || attachedList.querySelector('[data-file="' + id + '"]')) {
        return;
      }
      if (!attachedInputs().some(function (input) { return input.value === String(id); })) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = "attachments";
        input.value = String(id);
        composer.append(input);
      }
      const row = document.createElement("li");
      row.dataset.file = String(id);
      row.dataset.name = name;
      const label = document.createElement("span");
      label.className = "composer-form__file-name";
      label.textContent = name;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link-button";
      remove.append(t.remove || "");
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " " + name;
      remove.append(hidden);
      remove.addEventListener("click", function () {
        removeAttached(row);
      });
      row.append(label, " ", remove);
      attachedList.append(row);
      attachedList.hidden = false;
    }

    function clearAttached() {
      attachedInputs().forEach(function (input) {
        input.remove();
      });
      if (attachedList) {
        attachedList.replaceChildren();
        attachedList.hidden = true;
      }
      if (recent) {
        Array.from(recent.options).forEach(function (option) {
          option.selected = false;
        });
      }
    }

    composer.addEventListener("maillage:uploaded", function (event) {
      const detail = event.detail || {};
      // The upload row has done its job: the file now shows in the list of attached files.
      if (uploadBox) {
        uploadBox.querySelectorAll(".upload--done").forEach(function (row) {
          row.remove();
        });
        const uploads = uploadBox.querySelector("[data-uploader-list]");
        if (uploads && !uploads.children.length) {
          uploads.hidden = true;
        }
      }
      addAttached(detail.id, detail.name || "");
      announce(format(t.fileAdded, { name: detail.name || "" }));
    });

    function retryLater(item) {
      showError(t.retrying);
      const delay = Math.min(30000, 1000 * Math.pow(2, retries));
      retries += 1;
      retryTimer = window.setTimeout(function () {
        retryTimer = null;
        attempt(item);
      }, delay);
    }

    function done() {
      queue.shift();
      busy = false;
      retries = 0;
      pump();
    }

    // The same client_key on every attempt: the server keeps the first one only.
    function attempt(item) {
      api("POST", "/conversations/" + conversationId + "/messages", {
        body: item.body,
        client_key: item.key,
        attachments: item.files.map(function (file) {
          return file.id;
        }),
      })
        .then(function (response) {
          if (response.status >= 500 || response.status === 429) {
            retryLater(item);
            return null;
          }
          return response.json().then(function (data) {
            if (response.ok) {
              showError("");
              upsert(data);
              updateSeen();
              announce(t.sent || "");
            } else {
              showError(errorDetail(data, t.failed));
              if (!area.value) {
                area.value = item.body;
              }
              // Refused: nothing was sent, so the files go back to the composer.
              item.files.forEach(function (file) {
                addAttached(file.id, file.name);
              });
            }
            done();
          });
        })
        .catch(function () {
          retryLater(item);
        });
    }

    function pump() {
      if (busy || queue.length === 0) {
        return;
      }
      busy = true;
      attempt(queue[0]);
    }

    window.addEventListener("online", function () {
      if (retryTimer !== null && queue.length) {
        window.clearTimeout(retryTimer);
        retryTimer = null;
        attempt(queue[0]);
      }
    });

    function submit() {
      const body = area.value;
      const files = chosenFiles();
      if (composer.querySelector(SENDING)) {
        // Sent now, the message would go without the file still on its way.
        if (pending) {
          pending.hidden = false;
          pending.setAttribute("tabindex", "-1");
          pending.focus();
        }
        return;
      }
      if (pending) {
        pending.hidden = true;
      }
      if (!body.trim()) {
        if (files.length) {
          showError(t.filesNeedText);
          area.focus();
        }
        return;
      }
      queue.push({ body: body, key: uuid(), files: files });
      area.value = "";
      clearAttached();
      pump();
    }

    composer.addEventListener("submit", function (event) {
      event.preventDefault();
      submit();
    });
    area.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    area.addEventListener("input", function () {
      const now = Date.now();
      if (area.value.trim() && now - lastTyping >= TYPING_EVERY_MS && window.Maillage && window.Maillage.send) {
        if (window.Maillage.send({ type: "typing", conversation: conversationId })) {
          lastTyping = now;
        }
      }
    });
  }

  updateSeen();
  markRead();
  thread.lastElementChild && thread.lastElementChild.scrollIntoView({ block: "end" });
})();
