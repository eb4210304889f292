"""Unknown URLs under /api/ answer in the API's JSON error shape, whatever the method and
whether DEBUG is on (a developer's phone build hits the demo server with DEBUG on)."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_url_is_a_json_404(method, debug):
    with override_settings(DEBUG=debug):
        response = getattr(APIClient(), method)("/api/v1/sync/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_url_outside_the_api_is_not_json():
    response = APIClient().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
