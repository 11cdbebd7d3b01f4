"""Loading many clients from core banking: a CSV file (``branchdesk crm import clients``) or batches
through GraphQL (``importClients``), one machine for both.

Every row is checked in Python with the rules ``createClient`` applies (``crm.records``), each problem
kept as (row, column, code, message); then the good rows, personal data sealed, go by binary COPY into
a temporary staging table and one set-based upsert by client number writes them (``repository``).
All or nothing unless ``skip_invalid``; a dry run checks and counts without writing.
"""
