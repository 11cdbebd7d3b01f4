"""Who is acting, and in which branch: between the platform and the domains.

Identity from a token (:mod:`.identity`), the permission registry every domain declares into
(:mod:`.registry`), per-branch policies (:mod:`.policy`), the :class:`~.principal.Principal` services
receive, and the one unit of work that binds a transaction to a branch (:mod:`.unit_of_work`).
Domains import this package; it imports no domain.
"""
