"""Declarative mapping between partner documents (X12, flat files) and canonical objects.

Pure engine: (document tree, spec) -> (canonical object, issues), and back.
Specs are data (YAML, ``spec.py``); paths into documents are a small
language (``paths.py``); transforms come from a closed vocabulary
(``transforms.py``); nothing is ever evaluated as code.
"""
