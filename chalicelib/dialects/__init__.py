"""API dialects: each module speaks one client family's wire format and calls the core.

- ``leancloud``  LeanCloud REST 1.1 (``/1.1/...``), as the official SDKs send it
- ``dev``        local-mode helpers (``/dev/outbox``); never registered in a deployed stage
"""


def not_found(method: str, path: str) -> tuple:
    """(status, body) for a route that does not exist, in the dialect the path implies."""
    return 404, {"code": 404, "error": f"Route not found: {method} {path.split('?')[0]}"}
