"""What the QA console reads, without a browser: the page and its files, the job and
account views, and a verify that reports a mismatch as a finding."""

from __future__ import annotations

from starlette.testclient import TestClient

from mockserver import Emulator, ManualClock

KEY = {"x-api-key": "qa-key-0001"}


def test_the_page_and_its_files_are_served_with_a_strict_policy(client: TestClient) -> None:
    moved = client.get("/__mock", follow_redirects=False)
    assert moved.status_code in (307, 308)
    assert moved.headers["location"].endswith("/__mock/")
    page = client.get("/__mock/")
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'src="console/console.js"' in page.text
    for name, kind in (("console.js", "text/javascript"), ("console.css", "text/css")):
        asset = client.get(f"/__mock/console/{name}")
        assert asset.headers["content-type"].startswith(kind)
    assert client.get("/__mock/console/../admin.py").status_code == 404


def test_jobs_as_each_provider_shows_them(client: TestClient, clock: ManualClock) -> None:
    emulator: Emulator = client.app.emulator  # type: ignore[attr-defined]
    emulator.set_profile("fast")
    job = client.post("/segmind/v2/grok-imagine-image", json={"prompt": "x"}, headers=KEY).json()
    (shown,) = client.get("/__mock/jobs").json()["jobs"]
    assert (shown["id"], shown["status"], shown["key_hint"]) == (
        job["request_id"],
        "QUEUED",
        "qa-k...01",
    )
    assert [p["word"] for p in shown["timeline"]] == ["QUEUED", "PROCESSING"]
    assert shown["timeline"][1]["starts_at"] == shown["timeline"][0]["ends_at"]
    assert shown["images"] == []
    clock.advance(60)
    (done,) = client.get("/__mock/jobs?status=COMPLETED").json()["jobs"]
    (image,) = done["images"]
    assert client.get(image).status_code == 200
    assert client.get("/__mock/jobs?provider=pixazo").json()["count"] == 0
    assert client.get("/__mock/jobs?key=qa-key-0001").json()["count"] == 1
    assert client.get("/__mock/jobs?key=someone-else").json()["count"] == 0


def test_accounts_list_balances_with_keys_as_hints(client: TestClient) -> None:
    client.post("/segmind/v2/grok-imagine-image", json={"prompt": "x"}, headers=KEY)
    (account,) = client.get("/__mock/accounts").json()["accounts"]
    assert (account["provider"], account["key"]) == ("segmind", "qa-k...01")
    assert "qa-key-0001" not in str(account)


def test_verify_can_report_a_mismatch_as_a_finding(client: TestClient) -> None:
    reported = client.post("/__mock/journal/verify?report=true", json={"count": 1})
    assert reported.status_code == 200
    assert reported.json()["ok"] is False
    assert client.post("/__mock/journal/verify", json={"count": 1}).status_code == 409
