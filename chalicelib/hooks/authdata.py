"""The ``hook`` verifier of ``auth_platforms``: the app's LeanEngine ``onAuthData``.

``verify(app_id, platform, data, config)`` (the ``core.authdata.Verifier`` port) POSTs
``{"authData": {platform: data}}`` to ``_User/onAuthData``; the answer's ``result`` is the
authData to use (the hook may rewrite it), and an error answer refuses the login with the
hook's code and message (``HookRefused``, as the other before-hooks). With no LeanEngine set
up (``leanengine_url`` empty) it refuses with ``AuthDataInvalid`` (251), "not configured".
"""
from __future__ import annotations

from ..core.events import AUTH_DATA


class LeanEngineAuthData:
    def __init__(self, engine_for):
        self.engine_for = engine_for  # app_id -> LeanEngine | None

    def verify(self, app_id: str, platform: str, data: dict, config=None) -> dict:
        from ..core.authdata import AuthDataInvalid  # LeanCloud's 251
        engine = self.engine_for(app_id)
        if engine is None:
            raise AuthDataInvalid(f"authData.{platform} is verified by 'hook', which is not configured: set up "
                                  "LeanEngine hooks (setting leanengine_url and the hook key)")
        answer = engine.before(AUTH_DATA, {platform: data})
        checked = answer.get(platform) if isinstance(answer, dict) else None
        if not isinstance(checked, dict):
            raise AuthDataInvalid(f"the onAuthData hook answered no authData.{platform}")
        return checked


def verifier():
    """What ``wiring`` plugs in as the ``hook`` kind."""
    from .. import runtime, wiring
    from .dispatch import engine_for
    return LeanEngineAuthData(lambda app_id: engine_for(app_id, wiring.config(), runtime.secrets,
                                                        wiring.service().clock))
