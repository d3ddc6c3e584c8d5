"use strict";
// Redoc with this page's CSP nonce, so the styles it injects are allowed
// (style-src 'nonce-...'); its own <redoc> tag would start it without one.
(() => {
  const container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.specUrl, { nonce: document.currentScript.nonce }, container);
})();
