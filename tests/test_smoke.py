async def test_head_office_lists_branches(api, world):
    token = await api.token(world.ho_admin)
    body = await api.post(
        "{ branches(first: 50) { edges { node { code } } } }", token=token, branch=world.head_office.code
    )
    codes = [e["node"]["code"] for e in body["data"]["branches"]["edges"]]
    assert world.branch_a.code in codes and world.branch_b.code in codes
