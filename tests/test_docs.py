"""The README is the user's manual: every setting and every route is documented."""
import dataclasses
import re

from conftest import ROOT


def readme():
    return (ROOT / "README.md").read_text()


def test_every_setting_is_documented():
    from chalicelib.core.settings import Settings
    text = readme()
    missing = [f.name for f in dataclasses.fields(Settings) if f"`{f.name}`" not in text]
    assert not missing, f"settings missing from the README: {missing}"


def test_every_public_route_is_documented(app):
    text = readme()
    missing = []
    for path, methods in app.routes.items():
        if path.startswith("/dev/") or path.startswith("/admin/"):
            continue
        # README writes path parameters as <name>; chalice as {name}
        pattern = re.escape(re.sub(r"\{[^}]+\}", "<>", path)).replace("<>", "<[^>]+>")
        if not re.search(pattern + r"(?![A-Za-z0-9_/])", text):
            missing.append(path)
    assert not missing, f"routes missing from the README: {missing}"
