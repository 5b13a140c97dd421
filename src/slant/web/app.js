/* slant web page: input, API calls, permalinks and the library. Rendering is in render.js. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var catalog = null;
  var current = null;      // the analysis shown
  var currentId = null;    // its stored id, once saved
  var pending = null;      // an action to retry after a token is entered
  var libraryOffset = 0;
  var PAGE = 20;

  function token() {
    try { return window.localStorage.getItem("slant-token") || ""; } catch (e) { return ""; }
  }
  function setStatus(text, isError) {
    var node = $("status");
    node.textContent = text || "";
    node.className = "status" + (isError ? " error" : "");
  }

  function api(path, options) {
    options = options || {};
    var headers = options.headers || {};
    if (token()) { headers.Authorization = "Bearer " + token(); }
    options.headers = headers;
    return fetch(path, options).then(function (response) {
      if (response.ok) { return response; }
      return response.text().then(function (body) {
        var message = "HTTP " + response.status;
        try {
          var data = JSON.parse(body);
          if (data && data.message) { message = data.message; }
        } catch (e) { /* not JSON */ }
        var error = new Error(message);
        error.status = response.status;
        throw error;
      });
    });
  }
  function json(path, options) {
    return api(path, options).then(function (r) { return r.json(); });
  }
  function handle(error, retry) {
    if (error.status === 401) {
      pending = retry;
      $("token-form").hidden = false;
      $("token").focus();
      setStatus("This server needs an access token (ask its operator).", true);
      return;
    }
    setStatus(error.message || String(error), true);
  }

  function loadCatalog() {
    if (catalog) { return Promise.resolve(catalog); }
    return json("/v1/labels").then(function (data) { catalog = data; return data; });
  }

  function show(analysis, id) {
    current = analysis;
    currentId = id || null;
    return loadCatalog().then(function () {
      $("result").hidden = false;
      window.SlantRender.mount($("view"), analysis, catalog, {});
      showPermalink();
    });
  }
  function showPermalink() {
    var holder = $("permalink");
    holder.textContent = "";
    if (!currentId) { return; }
    var link = document.createElement("a");
    link.href = "/a/" + encodeURIComponent(currentId);
    link.textContent = location.origin + link.getAttribute("href");
    holder.appendChild(document.createTextNode("Permalink: "));
    holder.appendChild(link);
  }

  function busy(on) {
    $("analyze").disabled = on;
    $("analyze").setAttribute("aria-busy", on ? "true" : "false");
  }

  function analyzeBody(body, label) {
    busy(true);
    setStatus("Analysing " + label + "…");
    var run = function () {
      return json("/v1/analyze", body()).then(function (analysis) {
        if (location.pathname !== "/") { history.pushState(null, "", "/"); }
        return show(analysis, null).then(function () {
          var n = document.querySelectorAll("#view mark.hl").length;
          setStatus("Done: " + n + " highlighted passages.");
          $("result").focus();
        });
      }).catch(function (e) { handle(e, run); }).then(function () { busy(false); });
    };
    return run();
  }

  function analyzeText() {
    var text = $("text").value;
    if (!text.trim()) { setStatus("Paste an article first.", true); return; }
    var payload = { text: text };
    if ($("language").value) { payload.language = $("language").value; }
    analyzeBody(function () {
      return {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload)
      };
    }, "the text");
  }

  function analyzeFile(file) {
    if (!/\.(txt|html?)$/i.test(file.name)) {
      setStatus("Only .txt and .html files can be analysed.", true);
      return;
    }
    analyzeBody(function () {
      var form = new FormData();
      form.append("file", file, file.name);
      if ($("language").value) { form.append("language", $("language").value); }
      return { method: "POST", body: form };
    }, file.name);
  }

  function save() {
    if (!current) { return; }
    if (currentId) { showPermalink(); setStatus("Already saved: see the permalink."); return; }
    var run = function () {
      return json("/v1/analyses", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ analysis: current })
      }).then(function (stored) {
        currentId = stored.id;
        history.pushState(null, "", "/a/" + encodeURIComponent(stored.id));
        showPermalink();
        setStatus("Saved.");
        loadLibrary(true);
      }).catch(function (e) { handle(e, run); });
    };
    run();
  }

  function slug(text) {
    return String(text || "article").toLowerCase().replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "").slice(0, 60) || "article";
  }
  function download(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }
  function exportHtml() {
    if (!current) { return; }
    var run = function () {
      return api("/v1/report", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(current)
      }).then(function (r) { return r.blob(); }).then(function (blob) {
        download(blob, "slant-" + slug(current.title) + ".html");
      }).catch(function (e) { handle(e, run); });
    };
    run();
  }
  function exportJson() {
    if (!current) { return; }
    var blob = new Blob([JSON.stringify(current, null, 2)], { type: "application/json" });
    download(blob, "slant-" + slug(current.title) + ".json");
  }

  function openStored(id) {
    setStatus("Opening stored analysis…");
    var run = function () {
      return json("/v1/analyses/" + encodeURIComponent(id)).then(function (stored) {
        return show(stored.analysis, stored.id).then(function () { setStatus(""); });
      }).catch(function (e) {
        if (e.status === 404) { setStatus("No stored analysis with id " + id + ".", true); }
        else { handle(e, run); }
      });
    };
    run();
  }

  function loadLibrary(reset) {
    if (reset) { libraryOffset = 0; $("library-list").textContent = ""; }
    var query = $("query").value.trim();
    var path = "/v1/analyses?limit=" + PAGE + "&offset=" + libraryOffset +
      (query ? "&query=" + encodeURIComponent(query) : "");
    var run = function () {
      return json(path).then(function (page) {
        var list = $("library-list");
        if (!page.items.length && !libraryOffset) {
          var empty = document.createElement("li");
          empty.textContent = query ? "Nothing matches." : "Nothing stored yet.";
          list.appendChild(empty);
        }
        page.items.forEach(function (item) {
          var li = document.createElement("li");
          var link = document.createElement("a");
          link.href = "/a/" + encodeURIComponent(item.id);
          link.textContent = item.title || "(untitled)";
          var meta = document.createElement("div");
          meta.className = "meta";
          meta.textContent = [
            item.created_at.replace("T", " ").replace("Z", " UTC"), item.genre, item.language,
            item.top_techniques.map(function (t) {
              return window.SlantRender.titleOf(t.label) + " ×" + t.count;
            }).join(", ") || "no techniques"
          ].join(" · ");
          li.appendChild(link);
          li.appendChild(meta);
          list.appendChild(li);
        });
        libraryOffset += page.items.length;
        $("more").hidden = libraryOffset >= page.total;
      }).catch(function (e) { handle(e, run); });
    };
    return run();
  }

  function route() {
    var match = location.pathname.match(/^\/a\/([^/]+)$/);
    if (match) { openStored(decodeURIComponent(match[1])); }
  }

  $("analyze-form").addEventListener("submit", function (e) { e.preventDefault(); analyzeText(); });
  $("file").addEventListener("change", function () {
    if ($("file").files.length) { analyzeFile($("file").files[0]); }
  });
  var drop = $("analyze-form");
  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (e) { e.preventDefault(); drop.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    drop.addEventListener(type, function () { drop.classList.remove("dragging"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) { analyzeFile(e.dataTransfer.files[0]); }
  });
  $("url-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var url = $("url").value.trim();
    if (!url) { return; }
    var payload = { url: url };
    if ($("language").value) { payload.language = $("language").value; }
    busy(true);
    setStatus("Fetching and analysing " + url + "…");
    var run = function () {
      return json("/v1/analyze-url", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload)
      }).then(function (analysis) {
        return show(analysis, null).then(function () { setStatus("Done."); });
      }).catch(function (err) { handle(err, run); }).then(function () { busy(false); });
    };
    run();
  });
  $("token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    try { window.localStorage.setItem("slant-token", $("token").value); } catch (err) { /* private mode */ }
    $("token-form").hidden = true;
    setStatus("");
    var retry = pending;
    pending = null;
    init();
    if (retry) { retry(); }
  });
  $("save").addEventListener("click", save);
  $("export-html").addEventListener("click", exportHtml);
  $("export-json").addEventListener("click", exportJson);
  $("search-form").addEventListener("submit", function (e) { e.preventDefault(); loadLibrary(true); });
  $("more").addEventListener("click", function () { loadLibrary(false); });
  window.addEventListener("popstate", function () {
    if (location.pathname === "/") { $("result").hidden = true; current = null; } else { route(); }
  });

  function init() {
    json("/v1/version").then(function (version) {
      $("url-form").hidden = !(version.features && version.features.url_fetch);
      document.body.setAttribute("data-ready", "true");
      loadLibrary(true);
    }).catch(function (e) { document.body.setAttribute("data-ready", "true"); handle(e, init); });
  }
  init();
  route();
})();
