"""The partner-matching domain: fiszki, the index, ranking and explanations. No Flask here."""
