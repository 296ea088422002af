"""Working together on a round: Übernehmen (claims), Vertretung (deputies), comments, and the search.

Each module is one job and writes in one transaction with its audit events; every rule of who may
do or see what is in `workflows.identity.authz`.
"""
