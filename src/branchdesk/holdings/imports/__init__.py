"""Loading holdings from a core-banking file (``branchdesk crm import holdings``) or batches through
GraphQL (``importHoldings``) on the client import machine (``crm.imports``: reading, reports, all or
nothing, ``skip_invalid``, dry runs): rows are checked in Python, staged by binary COPY into the feed's
staging table, and applied by the holdings feed (``holdings.feed``: its checks against the branch, its
set-based upsert, the AUM it keeps current)."""
