"""The OpenAPI 3.1 document served at ``GET /openapi.json`` (see ``build.py``; one entry
per route in ``operations.py``). Imported on the first request for it, never at cold start."""
