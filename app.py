"""verikit: Chalice wiring only. The code lives in chalicelib/ (see its __init__)."""
from chalice import Chalice

from chalicelib import runtime
from chalicelib.dialects.leancloud import sms as leancloud_sms

app = Chalice(app_name="verikit")

app.register_blueprint(leancloud_sms.bp)

if runtime.local_mode():
    from chalicelib.dialects import dev

    app.register_blueprint(dev.bp)
