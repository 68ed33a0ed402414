/* Starts Swagger UI on /api/docs from static files (no inline script: the CSP forbids it). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrfToken = document.body.dataset.csrfToken;
  config.dom_id = "#swagger-ui";
  config.presets = [window.SwaggerUIBundle.presets.apis];
  if (csrfToken) {
    config.requestInterceptor = function (req) {
      req.headers["X-CSRFToken"] = csrfToken;
      return req;
    };
  }
  window.SwaggerUIBundle(config);
})();
