// Swagger UI on the app's own OpenAPI schema (a file, not inline: the Content-Security-Policy allows no
// inline script). The API authenticates with a personal access token: "Authorize" takes it.
window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
