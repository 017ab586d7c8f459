"""One module per kind of source: scraped pages, JSON Lines, Reuters-21578 SGML.

Each reader turns bytes into :class:`~search.records.Article` or
:class:`~search.records.Skip` records; :mod:`search.articles` chooses among them.
"""
