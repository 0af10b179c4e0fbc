"""Canonical documents: the models (``models.py``) and their published JSON Schemas (``schemas.py``)."""

from .models import DOCUMENTS, SCHEMA_VERSION
from .schemas import SchemaIssue, schema_for, validate_document

__all__ = ["DOCUMENTS", "SCHEMA_VERSION", "SchemaIssue", "schema_for", "validate_document"]
