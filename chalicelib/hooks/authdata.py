"""The ``hook`` verifier of ``auth_platforms``: the app's LeanEngine ``onAuthData``.

``verify(app_id, platform, data, config)`` (the ``core.authdata.Verifier`` port) POSTs
``{"authData": {platform: data}}`` to ``_User/onAuthData``; the answer's ``result`` is the
authData to use (the hook may rewrite it), and an error answer refuses the login with the
hook's code and message (``HookRefused``, as the other before-hooks). With no LeanEngine set
up (``leanengine_url`` empty or no hook key) it refuses with a clear message.
"""
from __future__ import annotations

from ..core.events import AUTH_DATA, HookRefused


class LeanEngineAuthData:
    def __init__(self, engine_for):
        self.engine_for = engine_for  # app_id -> LeanEngine | None

    def verify(self, app_id: str, platform: str, data: dict, config=None) -> dict:
        engine = self.engine_for(app_id)
        if engine is None:
            raise HookRefused(1, f"authData.{platform} is verified by the app's LeanEngine onAuthData hook, but "
                                 "no LeanEngine is set up (settings leanengine_url and the hook key)", 400)
        answer = engine.before(AUTH_DATA, {platform: data})
        checked = answer.get(platform) if isinstance(answer, dict) else None
        if not isinstance(checked, dict):
            raise HookRefused(1, f"the onAuthData hook answered no authData.{platform}", 400)
        return checked


def verifier():
    """What ``wiring`` plugs in as the ``hook`` kind."""
    from .. import runtime, wiring
    from .dispatch import engine_for
    return LeanEngineAuthData(lambda app_id: engine_for(app_id, wiring.config(), runtime.secrets,
                                                        wiring.service().clock))
