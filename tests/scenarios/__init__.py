"""Scenarios written once and driven through more than one entry point (engine, API)."""
