"""Second factors of staff sign-in (TOTP, RFC 6238): the secret, recovery codes, the sign-in challenges
between the password and the code, and the head office's rule of which roles must use one.

Like staff and refresh tokens these belong to no branch: a staff member signs in once for every branch.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, Timestamped
from branchdesk.platform.ids import new_id


class SecondFactor(Timestamped, Base):
    """A staff member's TOTP secret, sealed with AES-GCM (only the server can read it); not in use until
    a first code confirms it."""

    __tablename__ = "second_factors"

    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    enrolled_at: Mapped[datetime | None]
    # The TOTP time step of the last code accepted: a code of that step or an earlier one is refused.
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Timestamped, Base):
    """A single-use recovery code, stored as its Argon2 hash; ``lookup`` (the code's first part, not
    secret by itself) finds the one hash to check."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("staff_id", "lookup"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    lookup: Mapped[str] = mapped_column(String(8))
    code_hash: Mapped[str] = mapped_column(String(200))
    used_at: Mapped[datetime | None]


class SignInChallenge(Timestamped, Base):
    """The step between a verified password and the tokens: opaque to the client, stored as its SHA-256,
    bound to one staff member, short-lived and single use."""

    __tablename__ = "sign_in_challenges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "code": a code completes the sign-in; "enrol": only enrolment (which then completes it).
    purpose: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SecondFactorPolicyChange(Base):
    """Which roles must use a second factor, as head office set it; the latest change is in force."""

    __tablename__ = "second_factor_policy_changes"
    __table_args__ = (Index("ix_second_factor_policy_changes_changed_at", "changed_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    changed_at: Mapped[datetime]
    actor_label: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[uuid.UUID | None]
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
