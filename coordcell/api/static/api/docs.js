// Swagger UI on the page's session: unsafe requests carry the CSRF token from the page.
(function () {
  var node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    withCredentials: true,
    requestInterceptor: function (request) {
      request.headers["X-CSRFToken"] = node.dataset.csrf;
      return request;
    },
  });
})();
