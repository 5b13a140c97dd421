/* Offline API reference: renders /openapi.json (no CDN, no Swagger UI). */
(function () {
  "use strict";
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }
  function resolve(spec, schema) {
    if (schema && schema.$ref) {
      var name = schema.$ref.split("/").pop();
      return { name: name, schema: (spec.components.schemas || {})[name] };
    }
    return { name: null, schema: schema };
  }
  fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (spec) {
    var main = document.getElementById("api");
    main.textContent = "";
    main.appendChild(el("p", (spec.info.summary || "") + " Version " + spec.info.version + ". " +
      "Every /v1 route needs `Authorization: Bearer <token>` when the server has a token. " +
      "Errors are JSON: {\"error\": code, \"message\": text}."));
    Object.keys(spec.paths).forEach(function (path) {
      var item = spec.paths[path];
      Object.keys(item).forEach(function (method) {
        var op = item[method];
        var box = el("section", null, "op");
        var h = el("h3");
        h.appendChild(el("span", method.toUpperCase(), "method"));
        h.appendChild(document.createTextNode(" " + path));
        box.appendChild(h);
        if (op.summary) { box.appendChild(el("p", op.summary)); }
        if (op.description) { box.appendChild(el("p", op.description)); }
        if (op.parameters && op.parameters.length) {
          var table = el("table");
          var head = el("tr");
          ["parameter", "in", "required", "type"].forEach(function (c) { head.appendChild(el("th", c)); });
          table.appendChild(head);
          op.parameters.forEach(function (p) {
            var row = el("tr");
            var s = p.schema || {};
            var type = s.type || (s.anyOf || []).map(function (x) { return x.type; }).join(" | ");
            [p.name, p.in, p.required ? "yes" : "no", type].forEach(function (v) {
              row.appendChild(el("td", v));
            });
            table.appendChild(row);
          });
          box.appendChild(table);
        }
        if (op.requestBody) {
          var types = Object.keys(op.requestBody.content || {});
          box.appendChild(el("p", "Body: " + types.join(", ")));
          types.forEach(function (t) {
            var r = resolve(spec, op.requestBody.content[t].schema);
            if (r.name) {
              box.appendChild(el("p", t + " schema " + r.name + ":"));
              box.appendChild(el("pre", JSON.stringify(r.schema, null, 2)));
            }
          });
        }
        var codes = Object.keys(op.responses || {});
        box.appendChild(el("p", "Responses: " + codes.join(", ")));
        main.appendChild(box);
      });
    });
  }).catch(function (e) {
    document.getElementById("api").textContent = "Could not load /openapi.json: " + e;
  });
})();
