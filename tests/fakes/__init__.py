"""Local fakes of third-party services, one module per service, on 127.0.0.1: each speaks
the service's real wire format, checks what arrives (signatures included) and records it."""
