"""The engines behind the service: Whoosh (embedded, the default) in search.backends.whoosh.

Everything that touches an engine's index lives in its package; the rest of ``search``
(reading articles, the query language, stories, periods, snippets, the CLI) and
``web`` do not import an engine.
"""
