async def test_head_office_lists_branches(api, world):
    token = await api.token(world.ho_admin)
    query = """query($after: String) { branches(first: 100, after: $after) {
        edges { node { code } } pageInfo { hasNextPage endCursor } } }"""
    codes: list[str] = []
    after = None
    while True:  # other tests onboard branches too: read every page
        page = (await api.post(query, {"after": after}, token=token, branch=world.head_office.code))["data"]["branches"]
        codes += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert codes == sorted(codes)
    assert world.branch_a.code in codes and world.branch_b.code in codes
