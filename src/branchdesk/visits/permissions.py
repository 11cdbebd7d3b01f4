"""Permissions of walk-in visits and the queue.

The lobby manager registers and triages visits (``visit:register``); tellers and customer managers call
and serve (``queue:serve``), each on the lines they work (``queue.<line>:serve``: tellers the counter and
self-service, customer managers their own line and the VIP room); anyone on the floor may move a client
to another line (``queue:transfer``) and sees the boards and visits (``visit:read``); the branch head
does all of it and reads the queue's metrics (``queue:metrics``, with the lobby manager).
"""

from __future__ import annotations

from branchdesk.access.registry import permission
from branchdesk.visits.rules import ServiceLine

FLOOR = ["branch_head", "lobby_manager", "teller", "customer_manager"]

VISIT_REGISTER = permission(
    "visit:register",
    "Register walk-in visits and triage them to a service line",
    "登记到店客户并分流至业务线",
    baseline=["branch_head", "lobby_manager"],
)
VISIT_READ = permission(
    "visit:read", "See the queue boards and the branch's visits", "查看排队看板与到店记录", baseline=FLOOR
)
QUEUE_SERVE = permission(
    "queue:serve",
    "Call the next ticket, serve, mark no-shows and end visits (on the lines one serves)",
    "叫号、办理、标记过号并办结（限本人服务的业务线）",
    baseline=["branch_head", "teller", "customer_manager"],
)
QUEUE_TRANSFER = permission(
    "queue:transfer", "Transfer a visit to another service line", "将到店客户转至其他业务线", baseline=FLOOR
)
QUEUE_METRICS = permission(
    "queue:metrics",
    "Read the queue's metrics per line and hour",
    "查看各业务线分时段排队指标",
    baseline=["branch_head", "lobby_manager"],
)
LINE_SERVE: dict[ServiceLine, str] = {
    ServiceLine.COUNTER: permission(
        "queue.counter:serve", "Serve the counter line (A)", "办理柜台业务线（A）", baseline=["branch_head", "teller"]
    ),
    ServiceLine.CUSTOMER_MANAGER: permission(
        "queue.customer_manager:serve",
        "Serve the customer-manager line (B)",
        "办理客户经理业务线（B）",
        baseline=["branch_head", "customer_manager"],
    ),
    ServiceLine.VIP_ROOM: permission(
        "queue.vip_room:serve",
        "Serve the VIP room line (V)",
        "办理贵宾室业务线（V）",
        baseline=["branch_head", "customer_manager"],
    ),
    ServiceLine.SELF_SERVICE: permission(
        "queue.self_service:serve",
        "Serve the self-service line (S)",
        "办理自助服务业务线（S）",
        baseline=["branch_head", "teller"],
    ),
}
