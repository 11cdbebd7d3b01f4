"""The exported schema is current, every root field declares its permission, errors are bilingual."""

from pathlib import Path

from branchdesk.graphql.schema import build_schema, export_sdl
from branchdesk.platform.settings import Settings
from tests.conftest import PRODUCTION_DATA_KEYS

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_is_current():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == export_sdl(), "run `branchdesk export-schema` and commit schema.graphql"


def test_every_root_field_declares_a_permission_in_its_description():
    schema = build_schema(Settings())
    for root in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(root)
        for field in definition.fields:
            assert "permission" in (field.metadata or {}), f"{root}.{field.name} declares no permission"
            assert "Requires" in field.description or "Public" in field.description


async def test_messages_follow_accept_language(api, world):
    body = await api.post("{ staff { edges { cursor } } }", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert body["errors"][0]["message"] == "需要登录，或登录凭证无效。"
    body = await api.post("{ staff { edges { cursor } } }", headers={"Accept-Language": "en-GB"})
    assert body["errors"][0]["message"].startswith("Sign-in is required")


async def test_production_serves_no_introspection_and_no_graphiql(rt):
    import httpx

    from branchdesk.api import create_app

    production = Settings(
        env="production",
        database_url="postgresql://db/x",
        redis_url="redis://r",
        signing_keys="{}",
        db_role_password="s3cret",
        **PRODUCTION_DATA_KEYS,
    )
    app = create_app(production, rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        body = (await client.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
        page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
    assert "graphiql" not in page.text.lower()


async def test_development_serves_graphiql(client):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
