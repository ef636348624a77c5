"""Producers and their OCOP products: records, validation, who may do what, use cases, import, storage."""
