"""Adapters that let other frameworks use planchat (``planchat.integrations.langchain``).

A top layer of its own (tests/test_code_shape.py TOP_LAYER): an adapter may
reach ingest and retrieval for its in-process mode; nothing in the product
imports it, and each adapter's framework is an optional extra.
"""
