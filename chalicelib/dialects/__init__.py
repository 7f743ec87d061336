"""API dialects: each module speaks one client family's wire format and calls the core.

- ``leancloud``  LeanCloud REST 1.1 (``/1.1/...``), as the official SDKs send it
- ``dev``        local-mode helpers (``/dev/outbox``); never registered in a deployed stage
"""


def not_found(method: str, path: str, status: int = 404) -> tuple:
    """(status, body) for a route that does not exist (404) or a method a route does not
    take (405), in the dialect the path implies."""
    what = "Route not found" if status == 404 else "Method not allowed"
    path = path.split("?")[0]
    if path.startswith("/auth/"):
        return status, {"error": "not_found", "error_code": 5, "error_description": f"{what}: {method} {path}"}
    return status, {"code": status, "error": f"{what}: {method} {path}"}
