// The final structure in 3Dmol.js: every `.structure-viewer[data-cif-url]` on the page (and
// in run panels htmx swaps in later) fetches its CIF and draws a 3x3 supercell.
(function () {
  "use strict";

  function fail(el, message) {
    el.dataset.shown = "error";
    el.textContent = message;
  }

  function show(el) {
    if (el.dataset.shown) {
      return;
    }
    if (typeof window.$3Dmol === "undefined") {
      fail(el, "The 3D viewer could not be loaded.");
      return;
    }
    el.dataset.shown = "loading";
    fetch(el.dataset.cifUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (cif) {
        var viewer = window.$3Dmol.createViewer(el, { backgroundColor: "white" });
        var model = viewer.addModel(cif, "cif");
        viewer.setStyle({}, { sphere: { scale: 0.3 }, stick: { radius: 0.12 } });
        viewer.addUnitCell(model);
        viewer.replicateUnitCell(3, 3, 1, model);
        viewer.zoomTo();
        viewer.render();
        el.dataset.atoms = String(viewer.getModel().selectedAtoms({}).length);
        el.dataset.shown = "yes";
      })
      .catch(function (error) {
        fail(el, "Could not show the structure: " + error.message);
      });
  }

  function scan() {
    document.querySelectorAll(".structure-viewer[data-cif-url]").forEach(show);
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);
})();
