"""Lexical similarity that copes with Polish inflection: character n-gram TF-IDF."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


class LexicalModel:
    """TF-IDF over character 3-5-grams inside word boundaries.

    Polish words change their endings (praktyka, praktyki, praktykach); shared stems
    still share most of their character n-grams, so no stemmer is needed.
    """

    def __init__(self, corpus: Sequence[str]) -> None:
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            min_df=1,
            lowercase=True,
            dtype=np.float32,
        )
        self.matrix = self._vectorizer.fit_transform(list(corpus) or [""]).tocsr()

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """L2-normalised sparse TF-IDF rows of new texts."""
        return self._vectorizer.transform(list(texts)).tocsr()
