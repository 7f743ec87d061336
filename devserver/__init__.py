"""The local run: an embedded moto server (DynamoDB, SNS, SSM, SES) beside the Chalice app.

Not part of the Lambda package: chalice bundles only app.py and chalicelib/.
"""
