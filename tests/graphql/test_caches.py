"""A repeated query is parsed and validated once: both caches hit, and no rule class is built per request."""

from __future__ import annotations

from branchdesk.graphql.errors import parse_document, validate_once


async def test_a_repeated_query_hits_the_parser_and_validation_caches(api, world):
    token = await api.token(world.head_a)
    query = "{ me { employeeNumber } }"
    await api.post(query, token=token, branch=world.branch_a.code)
    parsed, validated = parse_document.cache_info(), (validate_once.hits, validate_once.misses)

    for _ in range(3):
        body = await api.post(query, token=token, branch=world.branch_a.code)
        assert body["data"]["me"]["employeeNumber"] == world.head_a

    now_parsed = parse_document.cache_info()
    assert now_parsed.hits - parsed.hits == 3 and now_parsed.misses == parsed.misses
    assert (validate_once.hits - validated[0], validate_once.misses) == (3, validated[1])
