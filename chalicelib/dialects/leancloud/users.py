"""LeanCloud's user system (``_User``): sign-up, login, sessions, phone verification,
phone change and password reset, as both official SDKs call them (see
``shared/specs/leancloud.md``). Translation only: the rules live in ``core.accounts``."""
from __future__ import annotations

from chalice import Blueprint

from ... import wiring
from ...core import errors as E
from ..http import client_ip, iso, json_object, public_url
from .common import LCError, ROUTE, lc_view, ok, optional_int, optional_str, required_phone

bp = Blueprint(__name__)

# body fields with a meaning of their own; the rest are the app's custom fields
WIRE = {"username": "username", "password": "password", "mobilePhoneNumber": "phone", "email": "email",
        "mobilePhoneVerified": "phone_verified", "emailVerified": "email_verified"}
# sent back by SDKs or computed by the server: never stored from a request
IGNORED = {"objectId", "createdAt", "updatedAt", "sessionToken", "ACL", "className", "__type", "smsCode"}


def user_json(user, token: str | None = None, private: bool = True, secrets: bool = True) -> dict:
    """A user as LeanCloud returns it; phone and email only to the user itself or master;
    authData's secrets (access tokens...) only to the user itself (``secrets``)."""
    from ...core.accounts.lc_types import canonical_fields  # Files and Pointers as the SDKs parse them

    out = canonical_fields(user.custom)
    out.update(objectId=user.object_id, username=user.username, createdAt=iso(user.created_at),
               updatedAt=iso(user.updated_at), mobilePhoneVerified=user.phone_verified,
               emailVerified=user.email_verified)
    if private:
        if user.phone:
            out["mobilePhoneNumber"] = user.phone_shown  # as the app wrote it (LeanCloud); the claim is E.164
        if user.email:
            out["email"] = user.email
        out.update(user.kept)  # authData (third-party login), ACL of an imported user
        if not secrets and "authData" in out:
            from ...core.authdata import public
            out["authData"] = public(out["authData"])
    # Skygear's derived is_verified, where the app turned that policy on; never over a field of its own
    if "is_verified" not in user.custom and show_is_verified(user):
        out["is_verified"] = wiring.accounts().is_verified(user)
    if token:
        out["sessionToken"] = token
    return out


def show_is_verified(user) -> bool:
    s = wiring.config().get(user.app_id).settings
    return s.skygear_is_verified or s.only_verified_users


def link_base(request) -> str:
    return public_url(request) + "/verify"


def changes_of(body: dict) -> dict:
    """Request fields as core changes; ``{"__op": "Delete"}`` removes a field, and custom
    fields take LeanCloud's other field operations (Increment, Add, AddUnique, Remove);
    ``authData`` / ``authData.<platform>`` link and unlink platforms."""
    from ...core import fieldops
    from ...core.accounts import DELETE  # here, not at cold start: core.accounts is big
    changes, custom = {}, {}
    for key, value in body.items():
        if key in IGNORED:
            continue
        if key == "authData" or key.startswith("authData."):
            from .authdata import auth_changes
            changes.setdefault("auth_data", {}).update(auth_changes(key, value))
            continue
        if isinstance(value, dict) and "__op" in value:
            value = fieldops.parse(value, DELETE, key)
            if key in WIRE and value is not DELETE:
                raise E.InvalidRequest(f"operation {body[key].get('__op')!r} is not supported on {key}")
        if key in WIRE:
            changes[WIRE[key]] = value
        else:
            custom[key] = value
    if custom:
        changes["custom"] = custom
    return changes


def session_token(request) -> str | None:
    # ?session_token= first: the Python SDK's User.become(token) sends it along with the
    # X-LC-Session of whoever is logged in at that moment, and means the token it names
    return (request.query_params or {}).get("session_token") or request.headers.get("x-lc-session")


def current(request, required: bool = True, verified: bool = True):
    """(user, session) of the request's session token; (None, None) if none and not required.
    With ``only_verified_users`` on, an unverified user is refused unless ``verified`` is
    False (reading oneself, and the verification routes)."""
    token = session_token(request)
    if not token:
        if required:
            raise E.SessionRequired("A session token is required (X-LC-Session).")
        return None, None
    user, session = wiring.accounts().resolve(wiring.app_id(), token)
    if verified:
        wiring.accounts().require_verified(user)
    return user, session


def _as_str(value):
    if value is not None and not isinstance(value, str):
        raise E.InvalidRequest("expected a string")
    return value


# ---- sign-up and login ---------------------------------------------------------------------

def _signup(request):
    body = json_object(request)
    if body.get("authData") is not None:
        from .authdata import auth_login
        return auth_login(request, body)
    changes = changes_of(body)
    if {"phone_verified", "email_verified"} & set(changes):
        raise E.InvalidRequest("mobilePhoneVerified and emailVerified cannot be set at sign-up")
    from ...core.accounts import DELETE

    from ...core.fieldops import Op

    custom = changes.get("custom", {})
    if any(v is DELETE or isinstance(v, Op) for v in custom.values()):
        raise E.InvalidRequest("no field operations at sign-up")
    user, token = wiring.accounts().signup(
        wiring.app_id(), changes.get("username"), changes.get("password"), changes.get("phone"),
        changes.get("email"), custom, client_ip(request), link_base=link_base(request))
    resp = user_json(user, token)
    return ok(resp, status=201)


@bp.route("/1.1/users", methods=["POST"], **ROUTE)
@lc_view(bp, "signUp")
def sign_up(request, role):
    return _signup(request)


@bp.route("/1.1/classes/_User", methods=["POST"], **ROUTE)
@lc_view(bp, "signUp")
def sign_up_class(request, role):
    return _signup(request)


@bp.route("/1.1/login", methods=["POST"], **ROUTE)
@lc_view(bp, "login")
def login(request, role):
    body = json_object(request)
    accounts, app_id = wiring.accounts(), wiring.app_id()
    password, sms_code = body.get("password"), body.get("smsCode")
    if body.get("username") not in (None, ""):
        user, token = accounts.login_password(app_id, "username", body["username"], password)
    elif body.get("mobilePhoneNumber") not in (None, ""):
        if sms_code not in (None, "") and password in (None, ""):
            user, token = accounts.login_sms(app_id, body["mobilePhoneNumber"], sms_code)
        else:
            user, token = accounts.login_password(app_id, "phone", body["mobilePhoneNumber"], password)
    elif body.get("email") not in (None, ""):
        user, token = accounts.login_password(app_id, "email", _as_str(body["email"]), password)
    else:
        raise E.MissingField("A username, mobilePhoneNumber or email is required.", "username")
    return ok(user_json(user, token))


@bp.route("/1.1/usersByMobilePhone", methods=["POST"], **ROUTE)
@lc_view(bp, "usersByMobilePhone")
def users_by_mobile_phone(request, role):
    body = json_object(request)
    phone = required_phone(body)
    changes = changes_of({k: v for k, v in body.items() if k != "mobilePhoneNumber"})
    if {"phone_verified", "email_verified", "email"} & set(changes):
        raise E.InvalidRequest("only username, password and custom fields may accompany usersByMobilePhone")
    user, token, created = wiring.accounts().signup_or_login_by_phone(
        wiring.app_id(), phone, body.get("smsCode"), changes.get("username"), changes.get("password"),
        changes.get("custom"), client_ip(request))
    return ok(user_json(user, token), status=201 if created else 200)


# ---- the current user ----------------------------------------------------------------------

@bp.route("/1.1/users/me", methods=["GET"], **ROUTE)
@lc_view(bp, "usersMe")
def users_me(request, role):
    try:
        user, _ = current(request, verified=False)
    except E.InvalidSession:
        raise LCError(400, 211, "Could not find user.") from None  # LeanCloud's answer to a bad token
    return ok(user_json(user, session_token(request)))


def _get(request, role, object_id):
    from ...core import acl

    try:
        user = wiring.accounts().get_user(wiring.app_id(), object_id)
    except E.UserNotFound:
        raise LCError(404, 211, "Could not find user.") from None
    me, _ = _optional_session(request)
    master, viewer = role == "master", me.object_id if me is not None else None
    if not acl.can_read(user, viewer, master):  # the imported ACL: answered as no such user
        raise LCError(404, 211, "Could not find user.")
    return ok(user_json(user, private=master or viewer == user.object_id))


def _optional_session(request):
    """The session user if the token is valid; a stale token on a read is no error."""
    try:
        return current(request, required=False, verified=False)
    except E.InvalidSession:
        return None, None


@bp.route("/1.1/users/{object_id}", methods=["GET"], **ROUTE)
@lc_view(bp, "getUser")
def get_user(request, role, object_id):
    return _get(request, role, object_id)


@bp.route("/1.1/classes/_User/{object_id}", methods=["GET"], **ROUTE)
@lc_view(bp, "getUser")
def get_user_class(request, role, object_id):
    return _get(request, role, object_id)


def _put(request, role, object_id):
    body = json_object(request)
    if (request.query_params or {}).get("where") not in (None, ""):  # never applied unconditionally
        raise E.InvalidRequest("conditional updates (?where=) are not supported on _User")
    master = role == "master"
    me, session = current(request, required=not master) if not master else _optional_session(request)
    user = wiring.accounts().update_user(wiring.app_id(), object_id, changes_of(body), me, session,
                                         master=master, client_ip=client_ip(request),
                                         link_base=link_base(request))
    if (request.query_params or {}).get("fetchWhenSave") == "true":  # the JS SDK's _linkWith asks for it
        return ok(user_json(user, private=master or (me is not None and me.object_id == user.object_id)))
    return ok({"objectId": user.object_id, "updatedAt": iso(user.updated_at)})


@bp.route("/1.1/users/{object_id}", methods=["PUT"], **ROUTE)
@lc_view(bp, "updateUser")
def update_user(request, role, object_id):
    return _put(request, role, object_id)


@bp.route("/1.1/classes/_User/{object_id}", methods=["PUT"], **ROUTE)
@lc_view(bp, "updateUser")
def update_user_class(request, role, object_id):
    return _put(request, role, object_id)


@bp.route("/1.1/users/{object_id}/updatePassword", methods=["PUT"], **ROUTE)
@lc_view(bp, "updatePassword")
def update_password(request, role, object_id):
    body = json_object(request)
    me, session = current(request)
    if me.object_id != object_id:
        raise E.SessionRequired("The user cannot be altered by a client without the session.")
    user, token = wiring.accounts().update_password(wiring.app_id(), me, session, body.get("old_password"),
                                                    body.get("new_password"))
    return ok(_token_answer(user, token))


def _token_answer(user, token: str) -> dict:
    """LeanCloud's answer to updatePassword and refreshSessionToken: the new token only."""
    return {"objectId": user.object_id, "updatedAt": iso(user.updated_at), "sessionToken": token}


@bp.route("/1.1/users/{object_id}/refreshSessionToken", methods=["PUT"], **ROUTE)
@lc_view(bp, "refreshSessionToken")
def refresh_session_token(request, role, object_id):
    master = role == "master"
    me, _ = current(request, required=not master) if not master else _optional_session(request)
    user, token = wiring.accounts().refresh_session(wiring.app_id(), object_id, me, master=master)
    return ok(_token_answer(user, token))


# ---- codes for users -----------------------------------------------------------------------

def _request(request, send):
    body = json_object(request)
    send(wiring.app_id(), required_phone(body), client_ip=client_ip(request),
         validate_token=optional_str(body, "validate_token", 100))
    return ok()


@bp.route("/1.1/requestLoginSmsCode", methods=["POST"], **ROUTE)
@lc_view(bp, "requestLoginSmsCode")
def request_login_sms_code(request, role):
    return _request(request, wiring.accounts().request_login_code)


@bp.route("/1.1/requestMobilePhoneVerify", methods=["POST"], **ROUTE)
@lc_view(bp, "requestMobilePhoneVerify")
def request_mobile_phone_verify(request, role):
    return _request(request, wiring.accounts().request_phone_verify)


@bp.route("/1.1/requestPasswordResetBySmsCode", methods=["POST"], **ROUTE)
@lc_view(bp, "requestPasswordResetBySmsCode")
def request_password_reset_by_sms_code(request, role):
    return _request(request, wiring.accounts().request_password_reset)


@bp.route("/1.1/verifyMobilePhone/{code}", methods=["POST"], **ROUTE)
@lc_view(bp, "verifyMobilePhone")
def verify_mobile_phone(request, role, code):
    body = json_object(request)
    me, _ = _optional_session(request)  # a proof made with the account's own session attests it
    wiring.accounts().verify_phone(wiring.app_id(), code, body.get("mobilePhoneNumber"), client_ip(request),
                                   actor=me)
    return ok()


@bp.route("/1.1/resetPasswordBySmsCode/{code}", methods=["PUT"], **ROUTE)
@lc_view(bp, "resetPasswordBySmsCode")
def reset_password_by_sms_code(request, role, code):
    body = json_object(request)
    wiring.accounts().reset_password(wiring.app_id(), code, body.get("password"), body.get("mobilePhoneNumber"),
                                     client_ip(request))
    return ok()


@bp.route("/1.1/requestChangePhoneNumber", methods=["POST"], **ROUTE)
@lc_view(bp, "requestChangePhoneNumber")
def request_change_phone_number(request, role):
    body = json_object(request)
    me, _ = current(request)
    wiring.accounts().request_change_phone(
        wiring.app_id(), me, required_phone(body), optional_int(body, "ttl"), client_ip(request),
        optional_str(body, "validate_token", 100))
    return ok()


@bp.route("/1.1/changePhoneNumber", methods=["POST"], **ROUTE)
@lc_view(bp, "changePhoneNumber")
def change_phone_number(request, role):
    body = json_object(request)
    me, _ = _optional_session(request)  # the code is checked first (603), then the session (206)
    if me is not None:
        wiring.accounts().require_verified(me)
    wiring.accounts().change_phone(wiring.app_id(), me, required_phone(body), body.get("code"))
    return ok()


# ---- email verification and Skygear-style verification ---------------------------------------

@bp.route("/1.1/requestEmailVerify", methods=["POST"], **ROUTE)
@lc_view(bp, "requestEmailVerify")
def request_email_verify(request, role):
    body = json_object(request)
    if body.get("email") in (None, ""):
        raise E.MissingField("An email is required.", "email")
    wiring.accounts().request_email_verify(wiring.app_id(), body["email"], client_ip(request),
                                           optional_str(body, "validate_token", 100), link_base(request))
    return ok()


@bp.route("/1.1/requestVerification", methods=["POST"], **ROUTE)
@lc_view(bp, "requestVerification")
def request_verification(request, role):
    """Skygear's ``requestVerification('phone' | 'email')`` for the current user."""
    body = json_object(request)
    me, _ = current(request, verified=False)
    wiring.accounts().request_verification(wiring.app_id(), me, body.get("field"), client_ip(request),
                                           optional_str(body, "validate_token", 100), link_base(request))
    return ok()


@bp.route("/1.1/verifyUserWithCode", methods=["POST"], **ROUTE)
@lc_view(bp, "verifyUserWithCode")
def verify_user_with_code(request, role):
    """Skygear's ``verifyUserWithCode(code)``: the current user's phone or email."""
    body = json_object(request)
    me, _ = current(request, verified=False)
    _, user = wiring.accounts().verify_with_code(wiring.app_id(), body.get("code"), client_ip(request), user=me)
    return ok(user_json(user, session_token(request)))
