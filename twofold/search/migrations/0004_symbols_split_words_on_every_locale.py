"""PostgreSQL: the ASCII symbols split words as punctuation does, whatever the database's locale.

``0002`` turned ``[[:punct:]]`` into spaces before PostgreSQL's parser saw the text. Under an
ICU locale (``initdb --locale-provider=icu``) ``<``, ``>``, ``+``, ``=``, ``$``, ``^``, ``|``,
``~`` and the backquote are symbols, not punctuation: ``<script>alert`` stayed one piece, the
parser read it as a tag and dropped it, and a search for "alert" found nothing. They are now
listed with the class, so every locale splits on them (SQLite's tokeniser does already).
"""

from typing import Any

from django.db import migrations


def _words(column: str, characters: str) -> str:
    return f"regexp_replace({column}, '{characters}+', ' ', 'g')"


def _vector(characters: str) -> list[str]:
    return [
        "DROP INDEX IF EXISTS search_document_vector",
        "ALTER TABLE search_document DROP COLUMN IF EXISTS search_vector",
        "ALTER TABLE search_document ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector('simple'::regconfig, {_words('title', characters)}), 'A') || "
        f"setweight(to_tsvector('simple'::regconfig, {_words('body', characters)}), 'B')) STORED",
        "CREATE INDEX search_document_vector ON search_document USING gin (search_vector)",
    ]


SPLITTING = "[[:punct:]<>+=$^|~`]"
BEFORE = "[[:punct:]]"


def _run(characters: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in _vector(characters):
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_lessons_are_searchable")]

    operations = [migrations.RunPython(_run(SPLITTING), _run(BEFORE))]
