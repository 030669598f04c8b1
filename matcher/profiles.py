"""Read-only snapshots of fiszki, as the index and the ranking see them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from matcher.models import Institution

UNIT_KINDS = ("profile", "offer", "need")


@dataclass(frozen=True)
class Profile:
    """What matching needs to know of one institution."""

    external_id: str
    name: str
    category: str
    subtype: str
    legal_form: str
    scope: str
    town: str
    gmina_teryt: str
    powiat_teryt: str
    lat: float
    lon: float
    description: str
    offers: tuple[str, ...]
    needs: tuple[str, ...]
    target_groups: tuple[str, ...]
    themes: tuple[str, ...]
    partners: tuple[str, ...]
    content_hash: str

    @classmethod
    def of(cls, institution: Institution) -> Profile:
        """Snapshot an institution row (offers, needs and partners loaded)."""
        return cls(
            external_id=institution.external_id,
            name=institution.name,
            category=institution.category,
            subtype=institution.subtype,
            legal_form=institution.legal_form,
            scope=institution.scope,
            town=institution.town,
            gmina_teryt=institution.gmina_teryt,
            powiat_teryt=institution.powiat_teryt,
            lat=institution.lat,
            lon=institution.lon,
            description=institution.description,
            offers=tuple(o.text for o in institution.offers),
            needs=tuple(n.text for n in institution.needs),
            target_groups=tuple(institution.target_groups or ()),
            themes=tuple(institution.themes or ()),
            partners=tuple(p.external_id for p in institution.partners),
            content_hash=institution.content_hash,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """Rebuild a snapshot saved with `as_dict`."""
        tuples = {"offers", "needs", "target_groups", "themes", "partners"}
        return cls(**{k: tuple(v) if k in tuples else v for k, v in data.items()})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def profile_text(self) -> str:
        """The text of the profile unit: name and description."""
        return f"{self.name}. {self.description}"

    def unit_texts(self) -> list[tuple[str, int, str]]:
        """All text units as (kind, position, text)."""
        units = [("profile", 0, self.profile_text)]
        units += [("offer", i, t) for i, t in enumerate(self.offers)]
        units += [("need", i, t) for i, t in enumerate(self.needs)]
        return units

    def public(self) -> dict[str, Any]:
        """Fields anyone may see: no personal contact data, no texts of units."""
        return {
            "external_id": self.external_id,
            "name": self.name,
            "category": self.category,
            "subtype": self.subtype,
            "legal_form": self.legal_form,
            "scope": self.scope,
            "location": {
                "town": self.town,
                "gmina_teryt": self.gmina_teryt,
                "powiat_teryt": self.powiat_teryt,
                "lat": self.lat,
                "lon": self.lon,
            },
            "target_groups": list(self.target_groups),
            "themes": list(self.themes),
        }
