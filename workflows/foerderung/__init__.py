"""The Pakt-für-Integration programme: its rules, documents, master data and demo data.

Everything that names a Gemeinde, a Planungsrahmen or a Bewilligungsbescheid lives here; the
engine, identity, inbox and web know none of it. `workflows.wiring` hands its functions,
services and document kinds to the engine.
"""
