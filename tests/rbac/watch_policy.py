"""A second process for the invalidation test: it loads one branch's enforcer, then asks the same
question from its cache until the answer changes. Only an announced change can make it reload."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

from branchdesk.platform.settings import Settings
from branchdesk.runtime import runtime


async def main(branch_id: str, subject: str, permission: str) -> None:
    async with runtime(Settings(), run_migrations=False) as rt:
        branch = uuid.UUID(branch_id)

        async def decide() -> bool:
            async with rt.db.session(branch) as session:
                return (await rt.policies.for_branch(session, branch)).allows(subject, permission)

        first = await decide()
        await asyncio.sleep(0.3)  # let the subscription settle before saying so
        print(f"READY {first}", flush=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if await decide() != first:
                print(f"CHANGED loads={rt.policies.loads} at={time.time()}", flush=True)
                return
            await asyncio.sleep(0.01)
        print("UNCHANGED", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
