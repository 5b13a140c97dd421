(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("slant-data").textContent);
  var main = document.getElementById("reports");
  main.textContent = "";
  data.analyses.forEach(function (analysis, i) {
    var section = document.createElement("section");
    section.setAttribute("aria-label", "Article " + (i + 1));
    main.appendChild(section);
    window.SlantRender.mount(section, analysis, data.labels, {});
  });
})();
