"""``GET /openapi.json``: the API's OpenAPI 3.1 document, built from the route table of
the running app (so ``/dev`` appears only where it is served). No key needed."""
from __future__ import annotations

from chalice import Blueprint, Response

from .http import logged, public_url

bp = Blueprint(__name__)


def _error(exc: Exception) -> Response:
    from .leancloud.common import error_response
    return error_response(exc)


@bp.route("/openapi.json", methods=["GET"], cors=True)
@logged("openapi", lambda: bp.current_request, _error)
def openapi():
    from ..openapi.build import document

    try:
        server = public_url(bp.current_request)
    except RuntimeError:
        server = ""
    return Response(body=document(bp.current_app.routes, server), status_code=200,
                    headers={"Content-Type": "application/json; charset=utf-8"})
