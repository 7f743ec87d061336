"""LeanCloud REST 1.1 dialect (see shared/specs/leancloud.md for the wire facts)."""
