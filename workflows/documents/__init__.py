"""PDF documents (Jinja2 + WeasyPrint, PDF/A-3u): the renderer, the kind registry, the service task.

No programme lives here: the kinds, their templates and contexts are registered by a programme
(`workflows.foerderung.document_kinds`) through `workflows.wiring`.
"""
