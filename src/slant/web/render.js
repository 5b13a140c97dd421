/* slant: renders one analysis (the JSON of `slant analyze --format json`) as highlighted text
 * with filters and a summary panel. Shared by the web page and the exported HTML report.
 * Article text is only ever inserted with textContent / text nodes, never parsed as HTML. */
(function (global) {
  "use strict";

  var CATEGORIES = [
    "Attack_on_Reputation", "Justification", "Simplification",
    "Distraction", "Call", "Manipulative_Wording"
  ];
  var ABBR = {
    "Appeal_to_Authority": "AUT", "Appeal_to_Popularity": "POP", "Appeal_to_Values": "VAL",
    "Appeal_to_Fear-Prejudice": "FEAR", "Flag_Waving": "FLAG",
    "Causal_Oversimplification": "CAUS", "False_Dilemma-No_Choice": "DIL",
    "Consequential_Oversimplification": "CONS", "Straw_Man": "STRAW", "Red_Herring": "HERR",
    "Whataboutism": "WHAT", "Slogans": "SLOG", "Appeal_to_Time": "TIME",
    "Conversation_Killer": "KILL", "Loaded_Language": "LOAD", "Repetition": "REP",
    "Exaggeration-Minimisation": "EXAG", "Obfuscation-Vagueness-Confusion": "VAGUE",
    "Name_Calling-Labeling": "NAME", "Doubt": "DOUBT", "Guilt_by_Association": "GUILT",
    "Appeal_to_Hypocrisy": "HYPO", "Questioning_the_Reputation": "REPU"
  };
  var uid = 0;

  function titleOf(name) {
    return String(name).replace(/_/g, " ").replace(/-/g, " / ");
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) { return; }
        if (key === "text") { node.textContent = String(value); }
        else if (key === "className") { node.className = value; }
        else { node.setAttribute(key, value === true ? "" : String(value)); }
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function fmt(score) {
    return (typeof score === "number" && isFinite(score)) ? score.toFixed(2) : "?";
  }

  function cssName(name) {
    return String(name).replace(/[^A-Za-z0-9_-]/g, "_");
  }

  function explanationText(value) {
    if (value === null || value === undefined || value === "") { return null; }
    if (typeof value === "string") { return value; }
    if (typeof value === "object") {
      var keys = ["text", "summary", "reason", "why", "explanation"];
      for (var i = 0; i < keys.length; i++) {
        if (typeof value[keys[i]] === "string") { return value[keys[i]]; }
      }
      return JSON.stringify(value);
    }
    return String(value);
  }

  function cellText(value) {
    if (value === null || value === undefined) { return ""; }
    if (Array.isArray(value)) { return value.map(cellText).join(", "); }
    if (typeof value === "number") { return Number.isInteger(value) ? String(value) : fmt(value); }
    if (typeof value === "object") {
      if (typeof value.label === "string") {
        return titleOf(value.label) + (typeof value.count === "number" ? " ×" + value.count : "");
      }
      if (typeof value.text === "string") { return value.text; }
      return JSON.stringify(value);
    }
    return String(value);
  }

  /* A view of one analysis inside `root`. catalog: the /v1/labels payload (may be empty). */
  function mount(root, analysis, catalog, options) {
    options = options || {};
    catalog = catalog || {};
    var techniqueInfo = {};
    (catalog.techniques || []).forEach(function (t) { techniqueInfo[t.name] = t; });
    var categoryInfo = {};
    (catalog.categories || []).forEach(function (c) { categoryInfo[c.name] = c; });
    var frameInfo = {};
    (catalog.frames || []).forEach(function (f) { frameInfo[f.name] = f; });
    var id = "sv" + (++uid);
    var state = {
      minScore: typeof options.minScore === "number" ? options.minScore : 0,
      hidden: {},            // technique name -> true when filtered out
      hiddenCategories: {},  // category -> true
      labels: options.labels !== false
    };
    var paragraphs = Array.isArray(analysis.paragraphs) ? analysis.paragraphs : [];

    function techTitle(name) {
      return (techniqueInfo[name] && techniqueInfo[name].title) || titleOf(name);
    }
    function visible(t) {
      return t.score >= state.minScore && !state.hidden[t.label] &&
        !state.hiddenCategories[t.category];
    }
    function counts() {
      var byTechnique = {}, byCategory = {};
      paragraphs.forEach(function (p) {
        (p.techniques || []).forEach(function (t) {
          if (t.score < state.minScore) { return; }
          byTechnique[t.label] = (byTechnique[t.label] || 0) + 1;
          byCategory[t.category] = (byCategory[t.category] || 0) + 1;
        });
      });
      return { technique: byTechnique, category: byCategory };
    }

    root.textContent = "";
    var view = el("div", { className: "slant-view", id: id });
    var controls = el("aside", { className: "slant-controls", "aria-label": "Filters" });
    var article = el("article", {
      className: "slant-article" + (state.labels ? " show-labels" : ""),
      "aria-label": "Article text with highlighted persuasion techniques"
    });
    var summary = el("aside", { className: "slant-summary", "aria-label": "Summary" });
    var tip = el("div", { className: "slant-tip", role: "tooltip", id: id + "-tip", hidden: true });
    view.appendChild(controls);
    view.appendChild(article);
    view.appendChild(summary);
    view.appendChild(tip);
    root.appendChild(view);

    /* ---- controls: confidence slider, legend with counts = filters ---- */
    var sliderId = id + "-min";
    var slider = el("input", {
      type: "range", min: "0", max: "1", step: "0.05", value: String(state.minScore),
      id: sliderId, className: "slant-min", "aria-describedby": sliderId + "-out"
    });
    var sliderOut = el("output", { id: sliderId + "-out", "for": sliderId, text: fmt(state.minScore) });
    controls.appendChild(el("div", { className: "slant-slider" }, [
      el("label", { "for": sliderId, text: "Minimum confidence " }), sliderOut, slider
    ]));
    var legend = el("fieldset", { className: "slant-legend" }, [
      el("legend", { text: "Techniques (filter)" })
    ]);
    controls.appendChild(legend);
    var labelToggle = el("input", { type: "checkbox", className: "slant-show-labels" });
    labelToggle.checked = state.labels;
    controls.appendChild(el("label", { className: "slant-toggle" }, [
      labelToggle, " Show technique labels in the text"
    ]));
    var allBox = el("div", { className: "slant-all" }, [
      el("button", { type: "button", className: "slant-show-all", text: "Show all" }),
      " ",
      el("button", { type: "button", className: "slant-hide-all", text: "Hide all" })
    ]);
    controls.appendChild(allBox);

    var present = {};
    paragraphs.forEach(function (p) {
      (p.techniques || []).forEach(function (t) {
        (present[t.category] = present[t.category] || {})[t.label] = true;
      });
    });
    var categoryOrder = CATEGORIES.filter(function (c) { return present[c]; });
    Object.keys(present).forEach(function (c) {
      if (categoryOrder.indexOf(c) < 0) { categoryOrder.push(c); }
    });
    var countNodes = { technique: {}, category: {} };
    if (!categoryOrder.length) {
      legend.appendChild(el("p", { className: "slant-none", text: "No techniques found." }));
    }
    categoryOrder.forEach(function (category) {
      var catBox = el("input", { type: "checkbox", "data-category": category, checked: true });
      var catCount = el("span", { className: "count" });
      countNodes.category[category] = catCount;
      var list = el("ul");
      Object.keys(present[category]).sort(function (a, b) {
        return techTitle(a).localeCompare(techTitle(b));
      }).forEach(function (name) {
        var box = el("input", { type: "checkbox", "data-technique": name, checked: true });
        var count = el("span", { className: "count" });
        countNodes.technique[name] = count;
        list.appendChild(el("li", null, [el("label", null, [
          box, " ",
          el("span", { className: "badge cat-" + cssName(category), text: ABBR[name] || "?" }),
          " " + techTitle(name) + " ", count
        ])]));
      });
      var catTitle = (categoryInfo[category] && categoryInfo[category].title) || titleOf(category);
      legend.appendChild(el("div", { className: "slant-cat" }, [
        el("label", { className: "slant-cat-label" }, [
          catBox, " ",
          el("span", { className: "swatch hl cat-" + cssName(category), text: "Aa" }),
          " " + catTitle + " ", catCount
        ]),
        list
      ]));
    });

    function updateCounts() {
      var c = counts();
      Object.keys(countNodes.technique).forEach(function (name) {
        countNodes.technique[name].textContent = "(" + (c.technique[name] || 0) + ")";
      });
      Object.keys(countNodes.category).forEach(function (name) {
        countNodes.category[name].textContent = "(" + (c.category[name] || 0) + ")";
      });
    }

    /* ---- article ---- */
    function renderArticle() {
      article.textContent = "";
      article.className = "slant-article" + (state.labels ? " show-labels" : "");
      var shown = 0;
      paragraphs.forEach(function (p, i) {
        var isTitle = i === 0 && analysis.title && p.text === analysis.title;
        var node = el(isTitle ? "h2" : "p", {
          className: "slant-par", "data-index": p.index, id: id + "-p" + p.index
        });
        var chars = Array.from(p.text || "");  // offsets count code points, as in Python
        var marks = [];
        (p.techniques || []).forEach(function (t) {
          if (!visible(t)) { return; }
          (t.spans || []).forEach(function (s) {
            var a = Math.max(0, s.start - p.start), b = Math.min(chars.length, s.end - p.start);
            if (b > a) { marks.push({ a: a, b: b, t: t, s: s }); }
          });
        });
        var cuts = [0, chars.length];
        marks.forEach(function (m) { cuts.push(m.a, m.b); });
        cuts = cuts.filter(function (v, k, all) { return all.indexOf(v) === k; })
          .sort(function (x, y) { return x - y; });
        for (var k = 0; k + 1 < cuts.length; k++) {
          var a = cuts[k], b = cuts[k + 1];
          var text = chars.slice(a, b).join("");
          var cover = marks.filter(function (m) { return m.a <= a && m.b >= b; });
          if (!cover.length) { node.appendChild(document.createTextNode(text)); continue; }
          cover.sort(function (x, y) { return y.t.score - x.t.score; });
          var names = [];
          cover.forEach(function (m) { if (names.indexOf(m.t.label) < 0) { names.push(m.t.label); } });
          var cats = [];
          cover.forEach(function (m) { if (cats.indexOf(m.t.category) < 0) { cats.push(m.t.category); } });
          var mark = el("mark", {
            className: "hl cat-" + cssName(cover[0].t.category) + (cats.length > 1 ? " multi" : ""),
            tabindex: "0",
            "data-techniques": names.join(" "),
            "aria-label": text + " — " + names.map(function (n) {
              var t = cover.filter(function (m) { return m.t.label === n; })[0].t;
              return techTitle(n) + " " + fmt(t.score);
            }).join("; ")
          }, [text]);
          mark._slant = cover;
          node.appendChild(mark);
          shown++;
          var ending = cover.filter(function (m) { return m.b === b; });
          var done = {};
          ending.forEach(function (m) {
            if (done[m.t.label]) { return; }
            done[m.t.label] = true;
            node.appendChild(el("span", {
              className: "badge cat-" + cssName(m.t.category), "aria-hidden": "true",
              title: techTitle(m.t.label), text: ABBR[m.t.label] || "?"
            }));
          });
        }
        article.appendChild(node);
      });
      article.setAttribute("data-highlights", String(shown));
    }

    /* ---- tooltip (hover and keyboard focus) ---- */
    var dismissed = null;  // the mark whose tooltip Escape closed (until another is shown)
    var shownFor = null;
    function showTip(mark) {
      var cover = mark._slant;
      if (!cover || mark === dismissed) { return; }
      dismissed = null;
      shownFor = mark;
      tip.textContent = "";
      var seen = {};
      cover.forEach(function (m) {
        var t = m.t;
        if (seen[t.label]) { return; }
        seen[t.label] = true;
        var info = techniqueInfo[t.label] || {};
        var why = explanationText(t.explanation);
        tip.appendChild(el("div", { className: "tip-item" }, [
          el("div", { className: "tip-head" }, [
            el("span", { className: "badge cat-" + cssName(t.category), text: ABBR[t.label] || "?" }),
            " ", el("strong", { text: techTitle(t.label) }),
            " ", el("span", { className: "tip-cat", text: titleOf(t.category) })
          ]),
          el("div", { text: "Confidence " + fmt(t.score) + " (these words " + fmt(m.s.score) + ")" }),
          m.s.target ? el("div", { className: "tip-target", text: "Target: " + m.s.target }) : null,
          info.definition ? el("div", { className: "tip-def", text: info.definition }) : null,
          el("div", { className: "tip-why" }, [
            el("em", { text: "Why: " }),
            why || ("the words “" + (m.s.text || "") + "” carry this technique in paragraph " + "" +
              mark.parentNode.getAttribute("data-index") + ".")
          ])
        ]));
      });
      tip.hidden = false;
      mark.setAttribute("aria-describedby", tip.id);
      var r = mark.getBoundingClientRect(), host = view.getBoundingClientRect();
      var left = Math.max(0, Math.min(r.left - host.left, host.width - 320));
      tip.style.left = left + "px";
      tip.style.top = (r.bottom - host.top + 6) + "px";
    }
    function hideTip() {
      tip.hidden = true;
      var owner = article.querySelector("[aria-describedby]");
      if (owner) { owner.removeAttribute("aria-describedby"); }
    }
    function markOf(target) {
      return target && target.closest ? target.closest("mark.hl") : null;
    }
    article.addEventListener("mouseover", function (e) { var m = markOf(e.target); if (m) { showTip(m); } });
    function focusedMark() {
      var active = document.activeElement;
      return active && article.contains(active) ? markOf(active) : null;
    }
    article.addEventListener("mouseout", function (e) {
      if (!markOf(e.target)) { return; }
      var focused = focusedMark();  // keyboard focus keeps its tooltip when the mouse leaves
      if (focused) { showTip(focused); } else { hideTip(); }
    });
    article.addEventListener("focusin", function (e) { var m = markOf(e.target); if (m) { showTip(m); } });
    article.addEventListener("focusout", hideTip);
    view.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !tip.hidden) { dismissed = shownFor; hideTip(); }
    });

    /* ---- filter events ---- */
    function refresh() { hideTip(); updateCounts(); renderArticle(); }
    slider.addEventListener("input", function () {
      state.minScore = parseFloat(slider.value) || 0;
      sliderOut.textContent = fmt(state.minScore);
      refresh();
    });
    legend.addEventListener("change", function (e) {
      var box = e.target;
      if (box.hasAttribute("data-technique")) {
        state.hidden[box.getAttribute("data-technique")] = !box.checked;
      } else if (box.hasAttribute("data-category")) {
        var category = box.getAttribute("data-category");
        state.hiddenCategories[category] = !box.checked;
        Object.keys(present[category] || {}).forEach(function (name) {
          state.hidden[name] = !box.checked;
          var inner = legend.querySelector('input[data-technique="' + name + '"]');
          if (inner) { inner.checked = box.checked; }
        });
      }
      refresh();
    });
    labelToggle.addEventListener("change", function () { state.labels = labelToggle.checked; refresh(); });
    function setAll(on) {
      Array.prototype.forEach.call(legend.querySelectorAll("input[type=checkbox]"), function (b) {
        b.checked = on;
      });
      state.hidden = {};
      state.hiddenCategories = {};
      if (!on) {
        categoryOrder.forEach(function (c) {
          state.hiddenCategories[c] = true;
          Object.keys(present[c]).forEach(function (n) { state.hidden[n] = true; });
        });
      }
      refresh();
    }
    allBox.querySelector(".slant-show-all").addEventListener("click", function () { setAll(true); });
    allBox.querySelector(".slant-hide-all").addEventListener("click", function () { setAll(false); });

    /* ---- summary panel ---- */
    function row(dl, term, value) {
      dl.appendChild(el("dt", { text: term }));
      dl.appendChild(el("dd", null, [value]));
    }
    var dl = el("dl", { className: "slant-facts" });
    var genre = analysis.genre || {};
    var genreScores = genre.scores || {};
    row(dl, "Genre", el("span", null, [
      el("strong", { text: genre.label || "?" }),
      " " + fmt(genreScores[genre.label])
    ]));
    var others = Object.keys(genreScores).filter(function (g) { return g !== genre.label; })
      .map(function (g) { return g + " " + fmt(genreScores[g]); }).join(", ");
    if (others) { row(dl, "Other genres", document.createTextNode(others)); }
    row(dl, "Language", document.createTextNode(analysis.language || "unknown"));
    var model = analysis.model || {};
    row(dl, "Model", document.createTextNode(
      (model.name || "?") + " " + (model.version || "") + (model.mode ? " (" + model.mode + ")" : "")
    ));
    row(dl, "slant", document.createTextNode(analysis.slant_version || "?"));
    if (analysis.source) { row(dl, "Source", document.createTextNode(analysis.source)); }
    summary.appendChild(el("h3", { text: "Summary" }));
    summary.appendChild(dl);

    summary.appendChild(el("h3", { text: "Frames" }));
    var frames = Array.isArray(analysis.frames) ? analysis.frames : [];
    if (!frames.length) { summary.appendChild(el("p", { text: "No frame above its threshold." })); }
    var frameList = el("ul", { className: "slant-frames" });
    frames.forEach(function (f) {
      var fill = el("span", { className: "fill" });
      fill.style.width = Math.round(Math.max(0, Math.min(1, f.score)) * 100) + "%";
      var name = (frameInfo[f.label] && frameInfo[f.label].title) || titleOf(f.label);
      frameList.appendChild(el("li", {
        title: (frameInfo[f.label] && frameInfo[f.label].definition) || null
      }, [
        el("span", { className: "frame-name", text: name }),
        el("span", { className: "bar", role: "img", "aria-label": name + " " + fmt(f.score) }, [fill]),
        el("span", { className: "frame-score", text: fmt(f.score) })
      ]));
    });
    if (frames.length) { summary.appendChild(frameList); }

    if (Array.isArray(analysis.targets)) {
      summary.appendChild(el("h3", { text: "Targets" }));
      if (!analysis.targets.length) {
        summary.appendChild(el("p", { text: "No targets found." }));
      } else {
        var columns = [];
        analysis.targets.forEach(function (t) {
          if (t && typeof t === "object" && !Array.isArray(t)) {
            Object.keys(t).forEach(function (k) { if (columns.indexOf(k) < 0) { columns.push(k); } });
          }
        });
        var table = el("table", { className: "slant-targets" });
        if (columns.length) {
          table.appendChild(el("thead", null, [el("tr", null, columns.map(function (c) {
            var head = titleOf(c);
            return el("th", { scope: "col", text: head.charAt(0).toUpperCase() + head.slice(1) });
          }))]));
        }
        var body = el("tbody");
        analysis.targets.forEach(function (t) {
          body.appendChild(el("tr", null, columns.length && t && typeof t === "object" ?
            columns.map(function (c) { return el("td", { text: cellText(t[c]) }); }) :
            [el("td", { text: cellText(t) })]));
        });
        table.appendChild(body);
        summary.appendChild(table);
      }
    }
    var warnings = Array.isArray(analysis.warnings) ? analysis.warnings : [];
    if (warnings.length) {
      summary.appendChild(el("h3", { text: "Warnings" }));
      summary.appendChild(el("ul", { className: "slant-warnings" }, warnings.map(function (w) {
        return el("li", { text: w });
      })));
    }

    updateCounts();
    renderArticle();
    return {
      state: state,
      refresh: refresh,
      element: view
    };
  }

  global.SlantRender = { mount: mount, titleOf: titleOf, CATEGORIES: CATEGORIES, ABBR: ABBR };
})(window);
