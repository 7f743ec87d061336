"""verikit: Chalice wiring only. The code lives in chalicelib/ (see its __init__)."""
from chalice import Chalice

from chalicelib import runtime
from chalicelib.dialects import (admin, admin_tools, admin_users, admin_webhooks, cloudbase, console, imports, links,
                                 meta, reset_page)
from chalicelib.dialects.http import BINARY_TYPES, accept_anything, method_not_allowed, readable_json
from chalicelib.dialects.leancloud import captcha as leancloud_captcha
from chalicelib.dialects.leancloud import password_reset as leancloud_password_reset
from chalicelib.dialects.leancloud import sms as leancloud_sms
from chalicelib.dialects.leancloud import users as leancloud_users
from chalicelib.dialects.leancloud import users_admin as leancloud_users_admin
from chalicelib.hooks.queue import queue_name
from chalicelib.hooks.verified_counts import stream_arn

runtime.check_settings()  # a bad VERIKIT_SETTINGS stops the cold start with a clear message

app = Chalice(app_name="verikit")
app.api.binary_types = BINARY_TYPES
app.register_middleware(readable_json, "http")  # outermost: sees every JSON body last
app.register_middleware(accept_anything, "http")
app.register_middleware(method_not_allowed, "http")
app.register_middleware(console.no_store_admin, "http")

app.register_blueprint(leancloud_sms.bp)
app.register_blueprint(leancloud_captcha.bp)
app.register_blueprint(leancloud_users.bp)
app.register_blueprint(leancloud_users_admin.bp)
app.register_blueprint(leancloud_password_reset.bp)
app.register_blueprint(reset_page.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(imports.bp)
app.register_blueprint(links.bp)
app.register_blueprint(cloudbase.bp)
app.register_blueprint(admin_users.bp)
app.register_blueprint(admin_tools.bp)
app.register_blueprint(admin_webhooks.bp)
app.register_blueprint(console.bp)
app.register_blueprint(meta.bp)



@app.on_sqs_message(queue=queue_name(), batch_size=1, name="deliver_events")
def deliver_events(event):
    """Webhook and LeanEngine after-hook deliveries (chalicelib/hooks/queue.py)."""
    from chalicelib.hooks.lambda_entry import handle
    handle(event)


@app.on_dynamodb_record(stream_arn=stream_arn(), batch_size=100, maximum_batching_window_in_seconds=1,
                        name="count_verified")
def count_verified(event):
    """Verified codes counted for the fraud guard and the stats, off the request path
    (chalicelib/hooks/verified_counts.py)."""
    from chalicelib.hooks.verified_counts import handle
    handle(event)


if runtime.local_mode():
    from chalicelib.dialects import dev

    app.register_blueprint(dev.bp)
