"""Find partners: the one domain function behind `/match`, staff suggestions and evaluation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from embeddings import Encoder
from matcher.config import DEFAULT_CONFIG, RankingConfig
from matcher.explain import reasons, render, render_standing
from matcher.geo import find_place
from matcher.gloss import gloss
from matcher.index import PartnerIndex
from matcher.models import Institution
from matcher.profiles import Profile
from matcher.ranking import TERM_SOURCES, Filters, Query, Ranker, Standing, Suggestion
from matcher.registry import get_institution
from matcher.vector_store import vectors_for


class BadRequest(ValueError):
    """A match request that cannot be answered as asked; `field` names the culprit."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass
class MatchRequest:
    """What a caller asks for: partners of an institution, or a free-text search."""

    institution: str | None = None
    query: str | None = None
    k: int = 10
    filters: Filters = field(default_factory=Filters)


def institution_query(index: PartnerIndex, profile: Profile, vectors_of) -> Query:
    """The query units of an institution, with vectors from the index when it is current there."""
    texts = {
        kind: [t for k, _, t in profile.unit_texts() if k == kind] for kind in ("profile", "offer", "need")
    }
    indexed = index.profiles.get(profile.external_id)
    if indexed is not None and indexed.content_hash == profile.content_hash:
        rows = {kind: index.rows_of(profile.external_id, kind) for kind in texts}
        vectors = {kind: index.vectors[r] for kind, r in rows.items()}
        # Its TF-IDF rows too: transforming the texts again would give the same rows, slower.
        lexical = {kind: index.lexical_rows[r] for kind, r in rows.items() if r}
        return Query(texts=texts, vectors=vectors, profile=profile, lexical=lexical)
    flat = [t for kind in ("profile", "offer", "need") for t in texts[kind]]
    matrix = vectors_of(flat)
    vectors, start = {}, 0
    for kind in ("profile", "offer", "need"):
        vectors[kind] = matrix[start : start + len(texts[kind])]
        start += len(texts[kind])
    return Query(texts=texts, vectors=vectors, profile=profile)


# How people start a search in Polish: "szukam kogoś, kto…", "potrzebujemy…", "gdzie można…",
# "skąd wziąć…". The phrase says nothing about the topic, yet in a short text it dominates the
# vector and the character n-grams ("Szukam kogoś, kto pokaże seniorom telefon" came out
# close to a car workshop whose card says "Szukam kogoś, komu przekażę firmę").
_REQUEST = re.compile(
    r"^\s*(?:"
    r"(?:szukam|szukamy|poszukuję|poszukujemy|potrzebuję|potrzebujemy|chcę|chcemy|chciałbym|"
    r"chciałabym|chcielibyśmy|prosimy o|proszę o|interesuje (?:mnie|nas))\b"
    r"(?:\s+(?:kogoś|czegoś|osoby|firmy|instytucji|partnera|miejsca)\b)?"
    r"(?:\s*,?\s*(?:kto|która|który|które|co|gdzie|żeby|aby)\b)?"
    r"|(?:gdzie|skąd|kto)\b(?:\s+(?:można|mogę|możemy|wziąć|znaleźć|znajdę)\b)?"
    r")\s*,?\s*",
    re.IGNORECASE,
)


# Words that name nothing to look for.
_EMPTY = re.compile(
    r"\b(?:kogoś|czegoś|ktoś|coś|kto|co|gdzie|skąd|można|mogę|możemy|wziąć|znaleźć|znajdę|żeby|aby|"
    r"mnie|nas|która|który|które)\b",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"[^\W\d_]{2,}|\d")


def search_topic(text: str) -> str:
    """A search without its opening request phrase: what is matched.

    "" when the text names nothing to look for ("szukamy kogoś", "🙂"); a search that is
    only a request verb and a noun keeps the noun ("szukamy firmy" -> "firmy").
    """
    topic = _REQUEST.sub("", text, count=1).strip()
    if _CONTENT.search(topic):
        return topic
    # Only the request phrase: what is left after its verb, unless that names nothing either.
    rest = re.sub(r"^\s*\w+", "", text, count=1) if _REQUEST.match(text) else text
    rest = re.sub(r"\s+", " ", _EMPTY.sub("", rest)).strip(" ,.;:!?-–")
    return rest if _CONTENT.search(rest) else ""


def text_query(encoder: Encoder, text: str) -> Query:
    """A free-text search as a query of one unit: its topic, without the request phrase.

    Raises:
        BadRequest: the text names nothing to look for.
    """
    topic = search_topic(text)
    if not topic:
        raise BadRequest(
            "query",
            "The query names nothing to look for; say what you need, e.g. "
            "'warsztaty robotyki dla klas 4-8' or 'szukamy sali na koncert chóru'.",
        )
    return Query(texts={"query": [topic]}, vectors={"query": encoder.encode([topic])})


def find_partners(
    session: Session,
    index: PartnerIndex,
    encoder: Encoder,
    request: MatchRequest,
    config: RankingConfig = DEFAULT_CONFIG,
) -> tuple[Query, list[Suggestion]]:
    """Rank partners for an institution or a free text.

    Args:
        session: database session (the asking institution is read from it).
        index: the loaded index.
        encoder: the encoder the index was built with (for texts it has not seen).
        request: the request.
        config: ranking configuration.

    Returns:
        The query and its suggestions, best first; institutions deleted since the
        index was built are left out.

    Raises:
        NotFound: the institution is unknown.
        BadRequest: the request cannot be answered (e.g. a distance filter with no origin).
    """
    query = _query_of(session, index, encoder, request, config)
    ranker = Ranker(index, config)
    suggestions = ranker.rank(query, request.filters, request.k)
    if not suggestions and query.gloss is not None:
        # The gloss and the encoder may disagree so that nothing fits both (a small registry):
        # then the encoder alone answers, as it did before there was a gloss.
        query.gloss, query.lemma_vectors = None, {}
        suggestions = ranker.rank(query, request.filters, request.k)
    return query, _still_stored(session, suggestions)


def assess_partner(
    session: Session,
    index: PartnerIndex,
    encoder: Encoder,
    request: MatchRequest,
    partner: str,
    config: RankingConfig = DEFAULT_CONFIG,
) -> tuple[Query, Standing]:
    """How one institution scores as a partner for the requesting institution, and where it stands.

    Answers "why is (or isn't) this partner suggested to us": the same score parts and
    evidence as a suggestion, its place in the list of `request.k`, or why it is never listed.

    Raises:
        NotFound: either institution is unknown.
        BadRequest: the partner is the institution itself, or not in the index yet.
    """
    if partner == request.institution:
        raise BadRequest("partner", "An institution is not its own partner.")
    get_institution(session, partner)
    if partner not in index.profiles:
        raise BadRequest(
            "partner", f"{partner} is not in the index yet; it is listed after the next rebuild."
        )
    query = _query_of(session, index, encoder, request, config)
    return query, Ranker(index, config).assess(query, request.filters, request.k, partner)


def _query_of(
    session: Session, index: PartnerIndex, encoder: Encoder, request: MatchRequest, config: RankingConfig
) -> Query:
    """The query of a request: the institution's units, or the search text with the place it names."""
    if encoder.id != index.encoder_id:
        raise BadRequest("encoder", f"index built with {index.encoder_id}, encoder is {encoder.id}")
    if request.institution is not None:
        profile = Profile.of(get_institution(session, request.institution))
        query = institution_query(index, profile, lambda texts: vectors_for(session, encoder, texts))
        session.commit()
    else:
        text, polish = index.respeller.read(request.query or "")
        query = text_query(encoder, text)
        query.polish = polish
        if text != request.query:
            query.respelt = text
        if not polish and config.english_gloss:
            query.gloss = gloss(query.texts["query"][0]) or None
        if request.filters.near is None:
            query.place = find_place(text)
        if request.filters.max_distance_km is not None and query.origin(request.filters) is None:
            raise BadRequest(
                "filters.max_distance_km",
                "A distance filter on a text search needs filters.near or a town named in the query.",
            )
    if index.terms is not None and config.term_share > 0 and query.word_texts():
        query.lemma_vectors = _unseen_lemma_vectors(index, encoder, query)
    return query


def _unseen_lemma_vectors(index: PartnerIndex, encoder: Encoder, query: Query) -> dict[str, np.ndarray]:
    """Embed the query's lemmas that no card uses, for soft term matching (not stored)."""
    words = query.word_texts()
    texts = [t for source in TERM_SOURCES for t in words.get(source, [])]
    unseen = index.terms.unseen(texts)
    return dict(zip(unseen, encoder.encode(unseen), strict=True)) if unseen else {}


def _still_stored(session: Session, suggestions: list[Suggestion]) -> list[Suggestion]:
    ids = [s.profile.external_id for s in suggestions]
    if not ids:
        return suggestions
    stored = set(session.scalars(select(Institution.external_id).where(Institution.external_id.in_(ids))))
    return [s for s in suggestions if s.profile.external_id in stored]


def present(query: Query, suggestion: Suggestion, lang: str = "pl", voice: str = "third") -> dict[str, Any]:
    """A suggestion as the API returns it: public fields, score, parts, reasons, explanation."""
    rows = reasons(suggestion)
    asker = query.profile.name if query.profile is not None else None
    return {
        "institution": suggestion.profile.public(),
        "score": suggestion.score,
        "score_parts": suggestion.parts,
        "reasons": rows,
        "explanation": render(rows, suggestion, lang=lang, voice=voice, asker=asker),
    }


def present_standing(
    query: Query, standing: Standing, k: int, lang: str = "pl", voice: str = "third"
) -> dict[str, Any]:
    """A partner's standing as the API returns it: the suggestion's fields plus where it stands."""
    return {
        **present(query, standing.suggestion, lang=lang, voice=voice),
        "status": standing.status,
        "position": standing.position,
        "k": k,
        "last_suggested_score": standing.last_score,
        "standing": render_standing(standing, k, lang=lang, voice=voice),
    }
