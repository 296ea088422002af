"""grantflow's engine layer: BPMN definitions, process instances, tasks, audit, documents.

Nothing in this package imports Flask; the web layer (`webapp/`) and the CLI call into it.
"""
