"""Joiners, movers and leavers: staff identities and their memberships over time (spans ``tenants``,
which keeps staff and memberships, and ``rbac``, which records the roles)."""
