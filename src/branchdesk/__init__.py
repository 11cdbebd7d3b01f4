from branchdesk.access.registry import collect

# Every domain's permissions are declared before any of them is used.
collect()
