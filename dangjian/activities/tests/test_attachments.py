"""Attachments of an activity (minutes scans, photos, PDFs): kept in the row, size-limited, added on the
record and edit forms, listed on the activity page and downloadable only within scope."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.activities import services
from dangjian.activities.models import Activity, ActivityAttachment
from dangjian.core.errors import ServiceError
from dangjian.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def form_data(tree, **extra):
    return {
        "host_org": tree["branch_a"].pk,
        "kind": "general_meeting",
        "status": "held",
        "held_on": "2025-10-12",
        "topic": "第四季度党员大会",
        **extra,
    }


def test_files_are_added_on_create_and_edit_and_listed(frozen_today, tree, branch_members, secretary, login):
    client = login(secretary)
    response = client.post(
        f"/activities/new/?org={tree['branch_a'].pk}",
        form_data(
            tree,
            attachments=[
                SimpleUploadedFile("会议记录.pdf", b"%PDF-1.4 minutes", content_type="application/pdf"),
                SimpleUploadedFile("现场照片.jpg", b"\xff\xd8photo", content_type="image/jpeg"),
            ],
        ),
    )
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert sorted(activity.attachments.values_list("name", "size")) == [
        ("会议记录.pdf", 16),
        ("现场照片.jpg", 7),
    ]
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert 'id="attachments"' in page and "会议记录.pdf" in page and "现场照片.jpg" in page
    response = client.post(
        f"/activities/{activity.pk}/edit/",
        form_data(
            tree, attachments=[SimpleUploadedFile("签到表.pdf", b"%PDF sign", content_type="application/pdf")]
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert activity.attachments.count() == 3
    entry = AuditEntry.objects.filter(action="activities.update").latest("seq")
    assert entry.after["attachments_added"] == ["签到表.pdf"]
    pdf = activity.attachments.get(name="会议记录.pdf")
    download = client.get(f"/activities/attachments/{pdf.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 minutes"
    assert download["Content-Type"] == "application/pdf"


def test_a_partner_org_sees_the_files_and_the_outsider_does_not(
    frozen_today, tree, system_actor, login, outsider, county_admin
):
    activity = services.record_activity(
        system_actor,
        org=tree["branch_a"],
        kind="theme_day",
        held_on=date(2025, 10, 10),
        topic="联合主题党日",
        partners=[tree["town_a"]],
        attachments=[services.Attachment("照片.jpg", "image/jpeg", b"jpeg")],
    )
    item = activity.attachments.get()
    assert login(county_admin).get(f"/activities/attachments/{item.pk}/").status_code == 200
    assert login(outsider).get(f"/activities/attachments/{item.pk}/").status_code == 404
    assert login(outsider).get(f"/activities/{activity.pk}/").status_code == 404


def test_the_size_limits_refuse_the_whole_record(frozen_today, tree, system_actor, settings):
    big = services.Attachment("扫描件.pdf", "application/pdf", b"x" * (services.MAX_ATTACHMENT_BYTES + 1))
    with pytest.raises(ServiceError, match="超过10MB"):
        services.record_activity(
            system_actor,
            org=tree["branch_a"],
            kind="theme_day",
            held_on=date(2025, 10, 10),
            topic="主题党日",
            attachments=[big],
        )
    assert not Activity.objects.exists() and not ActivityAttachment.objects.exists()
    just = services.Attachment("刚好.pdf", "application/pdf", b"x" * services.MAX_ATTACHMENT_BYTES)
    activity = services.record_activity(
        system_actor,
        org=tree["branch_a"],
        kind="theme_day",
        held_on=date(2025, 10, 10),
        topic="主题党日",
        attachments=[just, just, just],
    )
    assert activity.attachments.count() == 3
    with pytest.raises(ServiceError, match="合计不能超过30MB"):
        services.update_activity(
            system_actor, activity, attachments=[services.Attachment("多.jpg", "image/jpeg", b"y")]
        )
    assert activity.attachments.count() == 3
