"""spaCy pipelines: blank language + sentencizer + lookup lemmatizer + rule components."""
