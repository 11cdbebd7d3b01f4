"""A repeated query is parsed and validated once: both caches hit, and no rule class is built per request."""

from __future__ import annotations

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache

from branchdesk.graphql.schema import CACHE_SIZE


async def test_a_repeated_query_hits_the_parser_and_validation_caches(api, world):
    token = await api.token(world.head_a)
    query = "{ me { employeeNumber } }"
    await api.post(query, token=token, branch=world.branch_a.code)
    parse, validate = _get_parse_cache(CACHE_SIZE), _get_validate_cache(CACHE_SIZE)
    parsed, validated = parse.cache_info(), validate.cache_info()

    for _ in range(3):
        body = await api.post(query, token=token, branch=world.branch_a.code)
        assert body["data"]["me"]["employeeNumber"] == world.head_a

    assert parse.cache_info().hits - parsed.hits == 3 and parse.cache_info().misses == parsed.misses
    assert validate.cache_info().hits - validated.hits == 3 and validate.cache_info().misses == validated.misses
