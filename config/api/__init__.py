"""Plumbing shared by every app's REST API: problem+json errors, the base viewset, paging,
throttling, idempotent POSTs and the OpenAPI schema."""
