"""The full-text side of ``search_document``, in each database's own way.

SQLite: an FTS5 table over (title, body) with the rows' ids, external content (the text lives
once, in ``search_document``) and triggers that keep it in step with every insert, update and
delete. PostgreSQL: a generated ``tsvector`` column (title weighted A, body B) with a GIN index.
Both tokenise without stemming, so the last word typed can be matched as a prefix.
"""

from typing import Any

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_document_fts USING fts5(title, body, "
    "content='search_document', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_document_fts(rowid, title, body) VALUES (new.id, new.title, new.body); "
    "END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_document_fts(search_document_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE OF title, body ON search_document BEGIN "
    "INSERT INTO search_document_fts(search_document_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_document_fts(rowid, title, body) VALUES (new.id, new.title, new.body); "
    "END",
    "INSERT INTO search_document_fts(search_document_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_document_fts",
]


def _words(column: str) -> str:
    # Punctuation becomes space first: PostgreSQL's parser would otherwise read "<script>x" as
    # a tag, "a@b.com" and "v1.2" as single tokens, and the terms we query would not match them
    # (the query side keeps letters and digits only, as SQLite's tokeniser does).
    return f"regexp_replace({column}, '[[:punct:]]+', ' ', 'g')"


POSTGRES_UP = [
    "ALTER TABLE search_document ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    f"setweight(to_tsvector('simple'::regconfig, {_words('title')}), 'A') || "
    f"setweight(to_tsvector('simple'::regconfig, {_words('body')}), 'B')) STORED",
    "CREATE INDEX search_document_vector ON search_document USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS search_document_vector",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_document")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
