"""Permissions of branch meetings: the branch head (and the lobby manager, who often chairs the morning
meeting) records them; everyone reads them."""

from __future__ import annotations

from branchdesk.access.registry import permission
from branchdesk.handoffs.permissions import EVERY_ROLE

MEETING_RECORD = permission(
    "meeting:record",
    "Record branch meetings, their minutes, decisions and action items",
    "记录网点例会的议程、纪要、决议和待办事项",
    baseline=["branch_head", "lobby_manager"],
)
MEETING_READ = permission("meeting:read", "Read the branch's meetings", "查看本网点例会", baseline=EVERY_ROLE)
