"""The usage log: what users asked and how it went, kept (redacted) for the maintainer.

A concern of its own, apart from the answering engine:

* :mod:`faq.usage.events` - the interface the front ends use (:class:`AnswerEvent`, :class:`Feedback`,
  :class:`UsageStore`), re-exported here;
* :mod:`faq.usage.settings` - settings from the environment, the user-hash secret, the database address;
* :mod:`faq.usage.schema` - tables, migrations and the database engine;
* :mod:`faq.usage.store` - :class:`~faq.usage.store.SqlStore`, the writer (SQLite or PostgreSQL);
* :mod:`faq.usage.read` - reading the log back; :mod:`faq.usage.report` - `faq report`;
* :mod:`faq.usage.redact` - personal data out of texts before anything is kept (:mod:`faq.usage.names`: personal
  names where people introduce or mention someone).
"""

from faq.usage.events import AnswerEvent, Feedback, NullStore, UsageStore, new_answer_id

__all__ = ["AnswerEvent", "Feedback", "NullStore", "UsageStore", "new_answer_id"]
