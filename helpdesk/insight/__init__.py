"""Insight: what the store tells supervisors and operators after the fact (read-only over tickets).

answers.py    when a ticket got its first answer, and whether it met the standard        (pure)
figures.py    a month of one office's tickets -> MonthlyFigures                            (pure)
complaints.py which tickets are complaints (counted apart, never offered as answers)     (pure)
charts.py     matplotlib PNG charts of a month (mail per working day, answer times)       (pure)
render.py     MonthlyFigures -> text, CSV, self-contained HTML                             (pure)
monthly.py    the report mail to supervisors, due on the first working day of a month
textindex.py  Indonesian tokens (PySastrawi stemmer) and a BM25 index, scored in plain Python (pure)
bm25numpy.py  the same scores with numpy, for a query walking NUMPY_FROM postings or more  (pure)
consultations.py  answered tickets as search documents; the index with its public mask    (pure)
index_cache.py    each office's index in memory, rebuilt only when its tickets changed
search.py     search, similar (internal), public_suggestions (citizens: public answers only)
export.py     tickets and events as CSV or JSON lines
commands.py   `helpdesk report`, `helpdesk search`, `helpdesk export`
"""
