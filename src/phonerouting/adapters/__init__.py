"""Vendor adapters: one module per provider, pure (no I/O)."""
