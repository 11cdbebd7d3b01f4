"""Every model, so that ``Base.metadata`` is complete (migrations, isolation tests): the platform's
tables and each domain's ``models.py``, found by walking the package."""

import importlib
import importlib.util
import pkgutil

import branchdesk
from branchdesk.platform import audit, outbox  # noqa: F401
from branchdesk.platform.database import Base

for _module in pkgutil.iter_modules(branchdesk.__path__):
    if _module.ispkg and importlib.util.find_spec(f"branchdesk.{_module.name}.models") is not None:
        importlib.import_module(f"branchdesk.{_module.name}.models")

metadata = Base.metadata
