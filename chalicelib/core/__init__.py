"""Pure domain core: nothing in this package imports boto3, botocore or pynamodb."""
