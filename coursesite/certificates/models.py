"""Certificates: filled in by the certificates issue (see docs and DESIGN.md's domain model)."""
