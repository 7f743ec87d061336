"""Local fakes of third-party services on 127.0.0.1 (one module per service)."""
