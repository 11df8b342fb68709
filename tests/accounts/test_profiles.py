"""Profiles, follow / unfollow, block / mute, followers and following."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import Factory


def test_profile_update_and_public_view(client: TestClient, factory: Factory) -> None:
    user = factory.user()
    response = client.patch("/api/v1/auth/me", headers=user.headers, json={
        "display_name": "  Alex  ", "bio": "first hotpot ever 🌶", "read_langs": ["en", "zh"], "ui_lang": "zh-Hans",
        "region": "US", "interests": ["food", "travel", "food"], "onboarded": True,
    })
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["display_name"] == "Alex"
    assert me["interests"] == ["food", "travel"]
    assert me["onboarded"] is True
    public = client.get(f"/api/v1/users/{user.username}").json()
    assert public["bio"] == "first hotpot ever 🌶"
    assert "email" not in public
    assert "interests" not in public


@pytest.mark.parametrize(
    "body",
    [{"bio": "x" * 301}, {"display_name": "x" * 41}, {"interests": ["astrology"]}, {"read_langs": []},
     {"ui_lang": "fr"}, {"username": "renamed"}, {"interests": ["food"] * 11}],
)
def test_profile_update_rejects_bad_input(client: TestClient, factory: Factory, body: dict[str, object]) -> None:
    user = factory.user()
    response = client.patch("/api/v1/auth/me", headers=user.headers, json=body)
    assert response.status_code == 422
    assert client.get("/api/v1/auth/me", headers=user.headers).json()["username"] == user.username


def test_unknown_profile_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/users/nobody_here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "user.not_found"
    assert client.get("/api/v1/users/" + "x" * 200).status_code == 404


def test_follow_and_unfollow_keep_counts(client: TestClient, factory: Factory) -> None:
    alice, bob = factory.user(), factory.user()
    first = client.post(f"/api/v1/users/{bob.username}/follow", headers=alice.headers)
    assert first.status_code == 200
    assert first.json()["followed_by_me"] is True
    assert first.json()["follower_count"] == 1
    again = client.post(f"/api/v1/users/{bob.username}/follow", headers=alice.headers)
    assert again.json()["follower_count"] == 1  # idempotent
    assert client.get(f"/api/v1/users/{alice.username}", headers=bob.headers).json()["follows_me"] is True
    assert client.get("/api/v1/auth/me", headers=alice.headers).json()["following_count"] == 1
    gone = client.delete(f"/api/v1/users/{bob.username}/follow", headers=alice.headers)
    assert gone.json()["follower_count"] == 0
    assert client.delete(f"/api/v1/users/{bob.username}/follow", headers=alice.headers).json()["follower_count"] == 0


def test_follow_errors(client: TestClient, factory: Factory) -> None:
    alice = factory.user()
    assert client.post(f"/api/v1/users/{alice.username}/follow").status_code == 401
    assert client.post(f"/api/v1/users/{alice.username}/follow", headers=alice.headers).status_code == 422
    assert client.post("/api/v1/users/ghost_user/follow", headers=alice.headers).status_code == 404


def test_block_ends_follows_both_ways_and_prevents_new_ones(client: TestClient, factory: Factory) -> None:
    alice, bob = factory.user(), factory.user()
    client.post(f"/api/v1/users/{bob.username}/follow", headers=alice.headers)
    client.post(f"/api/v1/users/{alice.username}/follow", headers=bob.headers)
    assert client.post(f"/api/v1/users/{bob.username}/block", headers=alice.headers).status_code == 204
    alice_view = client.get(f"/api/v1/users/{bob.username}", headers=alice.headers).json()
    assert alice_view["blocked_by_me"] is True
    assert alice_view["follower_count"] == 0
    assert alice_view["following_count"] == 0
    refused = client.post(f"/api/v1/users/{alice.username}/follow", headers=bob.headers)
    assert refused.status_code == 403
    assert client.post(f"/api/v1/users/{bob.username}/follow", headers=alice.headers).status_code == 403
    assert client.delete(f"/api/v1/users/{bob.username}/block", headers=alice.headers).status_code == 204
    assert client.post(f"/api/v1/users/{bob.username}/follow", headers=alice.headers).status_code == 200


def test_mute_and_self_rules(client: TestClient, factory: Factory) -> None:
    alice, bob = factory.user(), factory.user()
    assert client.post(f"/api/v1/users/{bob.username}/mute", headers=alice.headers).status_code == 204
    assert client.get(f"/api/v1/users/{bob.username}", headers=alice.headers).json()["muted_by_me"] is True
    assert client.delete(f"/api/v1/users/{bob.username}/mute", headers=alice.headers).status_code == 204
    assert client.get(f"/api/v1/users/{bob.username}", headers=alice.headers).json()["muted_by_me"] is False
    for verb in ("block", "mute"):
        assert client.post(f"/api/v1/users/{alice.username}/{verb}", headers=alice.headers).status_code == 422
        assert client.post(f"/api/v1/users/{bob.username}/{verb}").status_code == 401


def test_followers_and_following_paginate(client: TestClient, factory: Factory) -> None:
    star = factory.user()
    fans = [factory.user() for _ in range(5)]
    for fan in fans:
        client.post(f"/api/v1/users/{star.username}/follow", headers=fan.headers)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/v1/users/{star.username}/followers", params=params).json()
        seen += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f.username for f in reversed(fans)]
    following = client.get(f"/api/v1/users/{fans[0].username}/following").json()
    assert [u["username"] for u in following["items"]] == [star.username]


@pytest.mark.parametrize("cursor", ["garbage!!", "bnVsbA", "eyJ0IjotMSwidSI6MX0", "W10", "x" * 3000])
def test_bad_cursor_is_a_clear_400(client: TestClient, factory: Factory, cursor: str) -> None:
    star = factory.user()
    response = client.get(f"/api/v1/users/{star.username}/followers", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "cursor.invalid"


def test_limit_out_of_range(client: TestClient, factory: Factory) -> None:
    star = factory.user()
    assert client.get(f"/api/v1/users/{star.username}/followers", params={"limit": 0}).status_code == 422
    assert client.get(f"/api/v1/users/{star.username}/followers", params={"limit": 51}).status_code == 422


def test_always_translate_is_read_and_changed_through_me(client: TestClient, factory: Factory) -> None:
    alice, bob = factory.user(), factory.user()
    assert client.get("/api/v1/auth/me", headers=alice.headers).json()["always_translate"] is False
    on = client.patch("/api/v1/auth/me", headers=alice.headers, json={"always_translate": True})
    assert on.status_code == 200, on.text
    assert on.json()["always_translate"] is True
    # Leaving the field out keeps it; only a boolean changes it.
    assert client.patch("/api/v1/auth/me", headers=alice.headers, json={"bio": "hi"}).json()["always_translate"] is True
    # Bob's request changes Bob's account only: there is no way to name another account.
    assert client.patch("/api/v1/auth/me", headers=bob.headers, json={"always_translate": False}).status_code == 200
    assert client.get("/api/v1/auth/me", headers=alice.headers).json()["always_translate"] is True
    assert "always_translate" not in client.get(f"/api/v1/users/{alice.username}").json()  # private


def test_always_translate_refuses_the_anonymous_and_non_booleans(client: TestClient, factory: Factory) -> None:
    assert client.patch("/api/v1/auth/me", json={"always_translate": True}).status_code == 401
    user = factory.user(ui_lang="zh-Hans")
    for value in ("yes please", "yes", 1, None, [True]):
        response = client.patch("/api/v1/auth/me", headers=user.headers, json={"always_translate": value})
        if value is None:  # null: "no change", as for the other fields
            assert response.status_code == 200, response.text
            continue
        assert response.status_code == 422, value
        error = response.json()["error"]
        assert set(error["fields"]) == {"always_translate"}
        assert error["fields"]["always_translate"] != "This value is not valid."  # the account's language
    assert client.get("/api/v1/auth/me", headers=user.headers).json()["always_translate"] is False
