"""``twofold search-reindex`` and the demo: the index is rebuilt in bulk and finds the demo."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command

from twofold import cli
from twofold.accounts.models import Organisation, User
from twofold.search.models import Kind, SearchDocument
from twofold.search.selectors import search


def test_cli_passes_search_reindex_to_django(monkeypatch: Any) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(cli, "_manage", lambda args: calls.append(list(args)) or 0)
    assert cli.main(["search-reindex"]) == 0
    assert cli.main(["search-reindex", "--organisation", "acme"]) == 0
    assert calls == [["search_reindex"], ["search_reindex", "--organisation", "acme"]]


def test_reindex_command_rebuilds_one_organisation(
    org: Any, world: Any, capsys: Any, django_assert_max_num_queries: Any
) -> None:
    SearchDocument.objects.all().delete()
    # Bulk: a query or two per kind and batch, never one per object.
    with django_assert_max_num_queries(30):
        call_command("search_reindex", "--organisation", org.slug)
    assert "Search index rebuilt: 9 documents" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No organisation with the slug 'nope'"):
        call_command("search_reindex", "--organisation", "nope")


@pytest.mark.django_db
def test_the_demo_is_searchable_after_loading(capsys: Any) -> None:
    call_command("demo")
    assert "search documents" in capsys.readouterr().out
    org = Organisation.objects.get(slug="halvorsen")
    dana = User.objects.get(email=cli.DEMO_EMAIL)
    kinds = set(SearchDocument.objects.filter(organisation=org).values_list("kind", flat=True))
    assert kinds == set(Kind.values)
    results = search(dana, org, "dana")
    assert results.counts.get(Kind.PERSON) == 1
