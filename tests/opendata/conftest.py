import pytest

from opendata.models import CommunityDaily, DatasetRefresh


@pytest.fixture
def fresh_community(db):
    """No community day published yet: `migrate`'s first refresh marked every day up to
    the real yesterday as published, and the tests' days lie before it."""
    CommunityDaily.objects.all().delete()
    DatasetRefresh.objects.filter(dataset="community").delete()
