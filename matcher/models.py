"""The fiszki tables: institutions, their offers, needs and partners, and cached vectors."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


partnership = Table(
    "partnerships",
    Base.metadata,
    Column("institution_id", ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True),
)


class Institution(Base):
    """An institution profile card (fiszka)."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(16), index=True)
    subtype: Mapped[str] = mapped_column(String(64))
    legal_form: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    target_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope: Mapped[str] = mapped_column(String(16))
    town: Mapped[str] = mapped_column(String(120))
    gmina_teryt: Mapped[str] = mapped_column(String(7))
    powiat_teryt: Mapped[str] = mapped_column(String(4), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    contact_person: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_www: Mapped[str | None] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    offers: Mapped[list[Offer]] = relationship(
        back_populates="institution", cascade="all, delete-orphan", order_by="Offer.position"
    )
    needs: Mapped[list[Need]] = relationship(
        back_populates="institution", cascade="all, delete-orphan", order_by="Need.position"
    )
    partners: Mapped[list[Institution]] = relationship(
        secondary=partnership,
        primaryjoin=id == partnership.c.institution_id,
        secondaryjoin=id == partnership.c.partner_id,
        order_by="Institution.external_id",
    )

    def __repr__(self) -> str:
        return f"Institution({self.external_id!r}, {self.name!r})"


class _Unit:
    """Columns shared by offers and needs: a titled text with an optional description."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)

    @property
    def text(self) -> str:
        """The text that is embedded and shown: title, then description."""
        return f"{self.title}. {self.description}" if self.description else self.title


class Offer(_Unit, Base):
    """Something an institution can give partners."""

    __tablename__ = "offers"
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    institution: Mapped[Institution] = relationship(back_populates="offers")


class Need(_Unit, Base):
    """Something an institution is looking for."""

    __tablename__ = "needs"
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    institution: Mapped[Institution] = relationship(back_populates="needs")


class StoredVector(Base):
    """A text's vector under one encoder, so unchanged texts are never encoded twice."""

    __tablename__ = "vectors"
    __table_args__ = (UniqueConstraint("text_hash", "encoder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    encoder_id: Mapped[str] = mapped_column(String(200))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffToken(Base):
    """A bearer token for one institution's staff: they keep their own card current.

    Only a hash is stored; the token itself is shown once, when it is issued.
    """

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    institution: Mapped[Institution] = relationship()


class Feedback(Base):
    """What an institution's staff said of a suggested partner; the latest word counts.

    "useful" and "contacted" are positive judgments, "not_relevant" a negative one (and hides
    the partner from that institution's suggestions). Judgments are labels that `matcher tune
    --feedback` learns the score weights from.
    """

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("institution_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    verdict: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    # Who said it: "admin", "contact_reader" or "staff:<external id>".
    given_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    institution: Mapped[Institution] = relationship(foreign_keys=[institution_id])
    partner: Mapped[Institution] = relationship(foreign_keys=[partner_id])
