"""verikit: Chalice wiring only. The code lives in chalicelib/ (see its __init__)."""
from chalice import Chalice

from chalicelib import runtime
from chalicelib.dialects import admin, cloudbase, imports, links
from chalicelib.dialects.http import BINARY_TYPES, accept_anything, method_not_allowed
from chalicelib.dialects.leancloud import captcha as leancloud_captcha
from chalicelib.dialects.leancloud import sms as leancloud_sms
from chalicelib.dialects.leancloud import users as leancloud_users
from chalicelib.dialects.leancloud import users_admin as leancloud_users_admin

app = Chalice(app_name="verikit")
app.api.binary_types = BINARY_TYPES
app.register_middleware(accept_anything, "http")
app.register_middleware(method_not_allowed, "http")

app.register_blueprint(leancloud_sms.bp)
app.register_blueprint(leancloud_captcha.bp)
app.register_blueprint(leancloud_users.bp)
app.register_blueprint(leancloud_users_admin.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(imports.bp)
app.register_blueprint(links.bp)
app.register_blueprint(cloudbase.bp)

if runtime.local_mode():
    from chalicelib.dialects import dev

    app.register_blueprint(dev.bp)
