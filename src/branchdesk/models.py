"""Imports every model so that ``Base.metadata`` is complete (migrations, isolation tests)."""

from branchdesk.platform import audit, outbox  # noqa: F401
from branchdesk.platform.database import Base
from branchdesk.rbac import models as rbac  # noqa: F401
from branchdesk.rbac import reviews_models as access_reviews  # noqa: F401
from branchdesk.tenants import models as tenants  # noqa: F401

metadata = Base.metadata
