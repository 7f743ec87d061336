"""Deployment: provision, deploy, destroy and a CloudFormation template, per stage.

``python -m deploy --help``. Every table definition comes from the pynamodb models
(``chalicelib.store.all_models()``) through :mod:`deploy.tables`; nothing here repeats a key,
an index or a TTL attribute.
"""
