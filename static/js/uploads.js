// Upload zones: several files at once, drag and drop, a progress bar and a cancel button each.
//
// An element `[data-uploader]` holds a plain multipart form (the fallback without JavaScript).
// Here each chosen or dropped file is announced to the API (POST /api/v1/uploads), sent in
// chunks of the size the server asks for (PUT ?offset=N, one request each, so that no server
// process ever holds more than a chunk), then made into a file (POST /api/v1/files, with
// `group`) or into a new version (POST /api/v1/files/{id}/versions, `data-file`).
// On success the element receives `maillage:uploaded` (detail {id, name, detail_url}); with
// `data-attach-name` a hidden input carrying the file's id is added to the enclosing form;
// with `data-refresh` the region of that id is reloaded through htmx once every file is in.
// Cancelling aborts the request under way and deletes the upload on the server.
(function () {
  "use strict";
  const API = "/api/v1";
  const DEFAULT_TEXTS = {
    cancel: "Annuler",
    cancelled: "Envoi annulé.",
    waiting: "En attente…",
    sending: "Envoi en cours…",
    finishing: "Enregistrement…",
    done: "Envoyé.",
    open: "Ouvrir",
    failed: "Échec de l’envoi :",
    network: "La connexion au serveur a été perdue. Réessayez.",
    unknown: "Le serveur a refusé le fichier.",
    progress: "Progression de l’envoi de {name}",
    allDone: "Envois terminés : {done} sur {total}.",
  };

  // `answered`: the server replied (and decided what to keep); otherwise the request was lost.
  class UploadError extends Error {
    constructor(message, options) {
      super(message);
      this.cancelled = Boolean(options && options.cancelled);
      this.answered = Boolean(options && options.answered);
    }
  }

  function csrfToken() {
    if (window.Maillage && window.Maillage.csrfToken) {
      return window.Maillage.csrfToken();
    }
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  // The French message of an API refusal ({"detail": "…"}), or a general one.
  function detailOf(xhr, texts) {
    try {
      const body = JSON.parse(xhr.responseText);
      if (typeof body.detail === "string" && body.detail) {
        return body.detail;
      }
      if (Array.isArray(body.detail) && body.detail.length && body.detail[0].msg) {
        return body.detail.map(function (item) { return item.msg; }).join(" ");
      }
    } catch (ignored) {
      // not JSON: a proxy's or the request-size limit's page
    }
    return texts.unknown;
  }

  // One request; `item.xhr` is kept so that « Annuler » can abort it.
  function send(item, method, url, body, options) {
    const texts = item.texts;
    return new Promise(function (resolve, reject) {
      const xhr = new XMLHttpRequest();
      item.xhr = xhr;
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      if (options && options.contentType) {
        xhr.setRequestHeader("Content-Type", options.contentType);
      }
      if (options && options.onProgress) {
        xhr.upload.addEventListener("progress", function (event) {
          options.onProgress(event.loaded);
        });
      }
      xhr.addEventListener("load", function () {
        item.xhr = null;
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
        } else {
          reject(new UploadError(detailOf(xhr, texts), { answered: true }));
        }
      });
      xhr.addEventListener("error", function () {
        item.xhr = null;
        reject(new UploadError(texts.network));
      });
      xhr.addEventListener("abort", function () {
        item.xhr = null;
        reject(new UploadError(texts.cancelled, { cancelled: true }));
      });
      xhr.send(body === undefined ? null : body);
    });
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  let serial = 0;

  // One file in the list: name, progress bar with its percentage, status, cancel button.
  function makeItem(zone, file) {
    serial += 1;
    const texts = zone.texts;
    const id = "upload-" + serial;
    const row = element("li", "upload");
    const name = element("span", "upload__name", file.name);
    name.id = id + "-name";
    const progress = element("progress", "upload__progress");
    progress.id = id + "-progress";
    progress.max = Math.max(file.size, 1);
    progress.value = 0;
    progress.setAttribute("aria-label", fill(texts.progress, { name: file.name }));
    const percent = element("span", "upload__percent", "0 %");
    percent.setAttribute("aria-hidden", "true");
    const status = element("span", "upload__status", texts.waiting);
    const cancel = element("button", "button button--secondary upload__cancel");
    cancel.type = "button";
    cancel.append(texts.cancel);
    const hidden = element("span", "visually-hidden", " " + file.name);
    cancel.append(hidden);
    row.append(name, progress, percent, status, cancel);
    const item = {
      file: file,
      texts: texts,
      row: row,
      progress: progress,
      percent: percent,
      status: status,
      cancelButton: cancel,
      xhr: null,
      uploadId: null,
      cancelled: false,
      finished: false,
      finishing: false,
    };
    cancel.addEventListener("click", function () {
      cancelItem(zone, item);
    });
    return item;
  }

  function showProgress(item, sent) {
    const size = item.file.size;
    const value = Math.min(sent, size);
    item.progress.value = size ? value : 1;
    item.percent.textContent = (size ? Math.floor((value * 100) / size) : 100) + " %";
  }

  function dropCancel(zone, item) {
    if (!item.cancelButton.isConnected) {
      return;
    }
    const hadFocus = document.activeElement === item.cancelButton;
    item.cancelButton.remove();
    if (hadFocus) {
      zone.input.focus();
    }
  }

  function settle(zone, item, state, message) {
    item.finished = true;
    item.row.classList.add("upload--" + state);
    item.status.textContent = message;
    if (state === "error") {
      item.status.setAttribute("role", "alert");
    }
    dropCancel(zone, item);
  }

  function forget(uploadId) {
    fetch(API + "/uploads/" + encodeURIComponent(uploadId), {
      method: "DELETE",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      credentials: "same-origin",
    }).catch(function () {
      // the server purges abandoned uploads by itself (purge_files)
    });
  }

  function cancelItem(zone, item) {
    if (item.finished || item.cancelled) {
      return;
    }
    item.cancelled = true;
    if (item.xhr) {
      item.xhr.abort();
    }
    if (item.uploadId) {
      forget(item.uploadId);
      item.uploadId = null;
    }
    settle(zone, item, "cancelled", zone.texts.cancelled);
    zone.announce(zone.texts.cancelled + " " + item.file.name);
  }

  function stopIfCancelled(zone, item) {
    if (item.cancelled) {
      throw new UploadError(zone.texts.cancelled, { cancelled: true });
    }
  }

  async function uploadOne(zone, item) {
    const file = item.file;
    item.status.textContent = zone.texts.sending;
    const started = await send(
      item,
      "POST",
      API + "/uploads",
      JSON.stringify({ name: file.name, size: file.size }),
      { contentType: "application/json" }
    );
    if (item.cancelled) {
      forget(started.id);
    }
    stopIfCancelled(zone, item);
    item.uploadId = started.id;
    const chunkSize = Math.max(Number(started.chunk_size) || 0, 1);
    let offset = Number(started.received) || 0;
    showProgress(item, offset);
    while (offset < file.size) {
      const end = Math.min(offset + chunkSize, file.size);
      const base = offset;
      const answer = await send(
        item,
        "PUT",
        API + "/uploads/" + encodeURIComponent(started.id) + "?offset=" + base,
        file.slice(base, end),
        {
          contentType: "application/octet-stream",
          onProgress: function (loaded) {
            showProgress(item, base + loaded);
          },
        }
      );
      stopIfCancelled(zone, item);
      offset = Number(answer.received);
      showProgress(item, offset);
    }
    // Every byte is there: the file is being created, too late to cancel.
    item.finishing = true;
    dropCancel(zone, item);
    item.status.textContent = zone.texts.finishing;
    const form = new FormData();
    form.append("upload", started.id);
    let url = API + "/files";
    if (zone.fileId) {
      url += "/" + encodeURIComponent(zone.fileId) + "/versions";
    } else if (zone.group) {
      form.append("group", zone.group);
    }
    const created = await send(item, "POST", url, form);
    item.uploadId = null;
    return created;
  }

  function finish(zone, item, created) {
    const fileId = zone.fileId || created.id;
    const detailUrl = created.detail_url || "";
    const name = created.name || item.file.name;
    settle(zone, item, "done", zone.texts.done + " ");
    if (detailUrl && !zone.fileId) {
      const link = element("a", "", zone.texts.open);
      link.href = detailUrl;
      link.append(element("span", "visually-hidden", " " + name));
      item.status.append(link);
    }
    if (zone.attachName) {
      const form = zone.root.closest("form") || zone.root.querySelector("form");
      if (form) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = zone.attachName;
        input.value = fileId;
        form.append(input);
      }
    }
    zone.root.dispatchEvent(
      new CustomEvent("maillage:uploaded", {
        bubbles: true,
        detail: { id: fileId, name: name, detail_url: detailUrl },
      })
    );
  }

  async function run(zone) {
    if (zone.running) {
      return;
    }
    zone.running = true;
    let done = 0;
    let total = 0;
    while (zone.queue.length) {
      const item = zone.queue.shift();
      if (item.cancelled) {
        continue;
      }
      total += 1;
      try {
        const created = await uploadOne(zone, item);
        finish(zone, item, created);
        done += 1;
      } catch (error) {
        if (!(error instanceof UploadError)) {
          error = new UploadError(zone.texts.unknown);
        }
        if (!error.cancelled && !item.cancelled) {
          settle(zone, item, "error", zone.texts.failed + " " + error.message);
        }
        // A refusal was the server's decision (it discards what it refuses); a lost
        // connection leaves a half-sent upload behind, which is deleted here.
        if (item.uploadId && !item.finishing && !error.answered) {
          forget(item.uploadId);
        }
        item.uploadId = null;
        if (item.cancelled) {
          total -= 1; // already announced as cancelled
        }
      }
    }
    zone.running = false;
    if (total) {
      zone.announce(fill(zone.texts.allDone, { done: done, total: total }));
    }
    if (done && zone.refresh) {
      refresh(zone.refresh);
    }
  }

  // Reload a region of the page (the file list, a file's history) from the same URL.
  function refresh(regionId) {
    const region = document.getElementById(regionId);
    if (!region) {
      return;
    }
    if (window.htmx) {
      window.htmx.ajax("GET", window.location.pathname + window.location.search, {
        target: "#" + regionId,
        swap: "outerHTML",
      });
    } else {
      window.location.reload();
    }
  }

  function setup(root) {
    if (root.dataset.uploaderReady) {
      return;
    }
    const input = root.querySelector('input[type="file"]');
    const list = root.querySelector("[data-uploader-list]") || element("ul", "uploader__list");
    if (!list.isConnected) {
      root.append(list);
    }
    let status = root.querySelector("[data-uploader-status]");
    if (!status) {
      status = element("p", "visually-hidden");
      status.setAttribute("role", "status");
      root.append(status);
    }
    if (!input) {
      return;
    }
    root.dataset.uploaderReady = "true";
    const texts = {};
    Object.keys(DEFAULT_TEXTS).forEach(function (key) {
      const attribute = "text" + key.charAt(0).toUpperCase() + key.slice(1);
      texts[key] = root.dataset[attribute] || DEFAULT_TEXTS[key];
    });
    const zone = {
      root: root,
      input: input,
      list: list,
      texts: texts,
      group: root.dataset.group || "",
      fileId: root.dataset.file || "",
      attachName: root.dataset.attachName || "",
      refresh: root.dataset.refresh || "",
      queue: [],
      running: false,
      announce: function (message) {
        status.textContent = "";
        window.setTimeout(function () {
          status.textContent = message;
        }, 50);
      },
    };

    function add(files) {
      let chosen = Array.from(files || []);
      if (zone.fileId) {
        chosen = chosen.slice(0, 1); // one new version at a time
      }
      if (!chosen.length) {
        return;
      }
      list.hidden = false;
      chosen.forEach(function (file) {
        const item = makeItem(zone, file);
        list.append(item.row);
        zone.queue.push(item);
      });
      run(zone);
    }

    // With JavaScript, choosing files starts the upload: the fallback's button is not needed.
    root.querySelectorAll("[data-uploader-submit]").forEach(function (button) {
      button.hidden = true;
    });
    root.querySelectorAll("[data-uploader-hint]").forEach(function (hint) {
      hint.hidden = false;
    });
    input.addEventListener("change", function () {
      add(input.files);
      input.value = "";
    });
    const form = input.form;
    if (form && root.contains(form)) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        add(input.files);
        input.value = "";
      });
    }
    const target = root.querySelector("[data-uploader-zone]") || root;
    let depth = 0;
    target.addEventListener("dragenter", function (event) {
      event.preventDefault();
      depth += 1;
      target.classList.add("is-dragover");
    });
    target.addEventListener("dragover", function (event) {
      event.preventDefault();
      if (event.dataTransfer) {
        event.dataTransfer.dropEffect = "copy";
      }
    });
    target.addEventListener("dragleave", function () {
      depth = Math.max(depth - 1, 0);
      if (!depth) {
        target.classList.remove("is-dragover");
      }
    });
    target.addEventListener("drop", function (event) {
      event.preventDefault();
      depth = 0;
      target.classList.remove("is-dragover");
      if (event.dataTransfer) {
        add(event.dataTransfer.files);
      }
    });
  }

  function setupAll(scope) {
    (scope || document).querySelectorAll("[data-uploader]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      setupAll(document);
    });
  } else {
    setupAll(document);
  }
  // Upload zones that arrive with an htmx swap (a composer, for instance).
  document.addEventListener("htmx:load", function (event) {
    const node = event.detail && event.detail.elt;
    if (node && node.querySelectorAll) {
      if (node.matches && node.matches("[data-uploader]")) {
        setup(node);
      }
      setupAll(node);
    }
  });
})();
