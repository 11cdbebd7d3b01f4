"""Branchdesk: the platform for the people who work in bank branches.

Importing the package imports every layer's declarations first, so that each registry is complete
before any of it is used: the ``permissions`` (access.registry), ``errors`` (the API's ErrorCode
enum) and ``kinds`` (the notification kinds, the API's NotificationKind enum) modules of the platform,
the access layer and every domain package.
"""

import importlib
import importlib.util
import pkgutil

# The API and the worker sit on top: they declare no permissions or error codes of their own.
_TOP = {"graphql", "jobs"}

for _package in pkgutil.iter_modules(__path__):
    if _package.ispkg and _package.name not in _TOP:
        for _part in ("errors", "permissions", "kinds"):
            if importlib.util.find_spec(f"{__name__}.{_package.name}.{_part}") is not None:
                importlib.import_module(f"{__name__}.{_package.name}.{_part}")

from branchdesk.access.registry import check_declarations  # noqa: E402

check_declarations()

from branchdesk.notifications.kinds import ship  # noqa: E402

ship()
