"""Typed models for the YAML documents the gateway reads (partner profiles, mapping specs, settings)."""
