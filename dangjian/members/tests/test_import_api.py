"""/api/v1/imports: upload → preview with errors → commit / cancel / undo, only for the batch's creator."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.accounts import services as account_services
from dangjian.core.models import ImportBatch
from dangjian.members.models import Member

from .test_import import EXPECTED_ERRORS, ROWS, xlsx


@pytest.fixture
def headers(actor_for):
    def for_user(user):
        _, raw = account_services.issue_token(actor_for(user, "api"))
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return for_user


def upload(client, auth, kind="members", rows=ROWS):
    return client.post(
        "/api/v1/imports", {"kind": kind, "file": SimpleUploadedFile("党员.xlsx", xlsx(rows))}, **auth
    )


def test_upload_previews_then_commit_and_undo(client, headers, county_admin, tree, frozen_today):
    auth = headers(county_admin)
    response = upload(client, auth)
    assert response.status_code == 201, response.content
    body = response.json()
    # Without 乙社区's holder of row 8's number, that row is valid here.
    expected = {row: error for row, error in EXPECTED_ERRORS.items() if row != 8}
    assert body["status"] == "previewed" and body["valid_rows"] == 4 and not Member.objects.exists()
    assert {e["row"]: (e["column"], e["message"]) for e in body["errors"]} == expected
    listed = client.get("/api/v1/imports", **auth).json()
    assert listed["count"] == 1 and listed["items"][0]["error_count"] == len(expected)
    committed = client.post(f"/api/v1/imports/{body['id']}/commit", **auth).json()
    assert committed["status"] == "committed" and committed["imported_rows"] == 4
    assert Member.objects.filter(org=tree["branch_a"]).count() == 4
    again = client.post(f"/api/v1/imports/{body['id']}/commit", **auth)
    assert again.status_code == 409 and "不能再导入" in again.json()["message"]
    undone = client.post(f"/api/v1/imports/{body['id']}/undo", **auth).json()
    assert undone["status"] == "undone" and not Member.objects.exists()


def test_cancel_and_the_chinese_errors(client, headers, county_admin, frozen_today):
    auth = headers(county_admin)
    batch_id = upload(client, auth).json()["id"]
    assert client.post(f"/api/v1/imports/{batch_id}/cancel", **auth).json()["status"] == "cancelled"
    assert not Member.objects.exists()
    unknown = upload(client, auth, kind="nothing")
    assert unknown.status_code == 400 and "导入类型“nothing”不存在" in unknown.json()["message"]
    bad = client.post(
        "/api/v1/imports", {"kind": "members", "file": SimpleUploadedFile("a.txt", b"x")}, **auth
    )
    assert bad.status_code == 400 and "只能导入" in bad.json()["message"]


def test_another_users_batch_is_not_found(client, headers, county_admin, outsider, stranger, frozen_today):
    batch_id = upload(client, headers(county_admin)).json()["id"]
    for user in (outsider, stranger):
        auth = headers(user)
        assert client.get(f"/api/v1/imports/{batch_id}", **auth).status_code == 404
        for action in ("commit", "cancel", "undo"):
            assert client.post(f"/api/v1/imports/{batch_id}/{action}", **auth).status_code == 404
        assert client.get("/api/v1/imports", **auth).json()["count"] == 0
    assert ImportBatch.objects.get().status == "previewed" and not Member.objects.exists()
    # Someone without a role that may change anything cannot upload at all.
    assert upload(client, headers(stranger)).status_code == 403


def test_commit_true_imports_the_valid_rows_in_one_step(client, headers, county_admin, tree, frozen_today):
    auth = headers(county_admin)
    response = client.post(
        "/api/v1/imports",
        {"kind": "members", "commit": "true", "file": SimpleUploadedFile("党员.xlsx", xlsx(ROWS))},
        **auth,
    )
    body = response.json()
    assert response.status_code == 201 and body["status"] == "committed", body
    assert body["imported_rows"] == 4 and len(body["errors"]) == len(EXPECTED_ERRORS) - 1
    assert Member.objects.filter(org=tree["branch_a"]).count() == 4
    only_errors = {row: cells for row, cells in ROWS.items() if row in EXPECTED_ERRORS and row != 8}
    refused = client.post(
        "/api/v1/imports",
        {"kind": "members", "commit": "true", "file": SimpleUploadedFile("错.xlsx", xlsx(only_errors))},
        **auth,
    )
    assert refused.status_code == 400 and "没有可导入的有效数据" in refused.json()["message"]
    assert ImportBatch.objects.count() == 1 and Member.objects.count() == 4
