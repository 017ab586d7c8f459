"""Where indexes built before the Whoosh backend had its own package find their analyzer.

Whoosh pickles the schema into every table of contents, naming the analyzer's class by
its module: ``search.schema.NewsAnalyzer`` in those indexes. This name keeps them
readable without a rebuild; new indexes name ``search.backends.whoosh.schema``.
"""

from search.backends.whoosh.schema import NewsAnalyzer

__all__ = ["NewsAnalyzer"]
