"""Community `quality_avg` is on one published scale, 0 to 1: each organization declares
the scale of its quality scores (`Organization.quality_scale`), scores out of 100 are
divided by 100, and scores of an undeclared or other scale are left out."""

from datetime import date

import pytest

from opendata.models import CommunityDaily
from opendata.services import community_refresh
from tests.factories import OrganizationFactory
from usage.rollups import rollups_merge

from .test_community_refresh import DAY, record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_community")]


@pytest.fixture
def k2(settings):
    settings.OPENDATA_COMMUNITY_MIN_CONTRIBUTORS = 2


def member(slug, scale):
    return OrganizationFactory(slug=slug, community_data_opt_in=True, quality_scale=scale)


def total_row():
    community_refresh(today=date(2026, 3, 11))
    return CommunityDaily.objects.get(date=DAY, dimension="total")


def test_scores_out_of_1_and_out_of_100_average_on_one_scale(k2):
    # The case: 0.9 from one organization and 90 from another averaged 45.45.
    record(member("unit", "0-1"), quality_score=0.9)
    percent = member("percent", "0-100")
    record(percent, quality_score=90)
    record(percent, quality_score=60)
    rollups_merge()
    total = total_row()
    assert total.contributors == 2
    assert total.quality_avg == 0.8  # (0.9 + 0.9 + 0.6) / 3


def test_an_undeclared_or_other_scale_is_left_out_of_quality_only(k2):
    record(member("unit", "0-1"), quality_score=0.4)
    record(member("undeclared", ""), quality_score=7)
    record(member("stars", "other"), quality_score=4)
    rollups_merge()
    total = total_row()
    # Their events still count; their scores are not comparable, so not averaged.
    assert (total.events, total.contributors) == (3, 3)
    assert total.quality_avg == 0.4


def test_scores_off_the_declared_scale_are_left_out(k2):
    record(member("unit", "0-1"), quality_score=0.7)
    mislabelled = member("mislabelled", "0-1")  # says 0 to 1, sends percentages
    record(mislabelled, quality_score=90)
    record(mislabelled, quality_score=80)
    record(member("negative", "0-100"), quality_score=-5)
    rollups_merge()
    assert total_row().quality_avg == 0.7


def test_no_declared_scale_anywhere_publishes_no_quality(k2):
    record(member("a", ""), quality_score=0.9)
    record(member("b", ""), quality_score=90)
    rollups_merge()
    total = total_row()
    assert total.events == 2
    assert total.quality_avg is None


def test_the_published_schema_says_which_scale(client, db):
    response = client.get("/api/v1/data/schema")
    assert response.status_code == 200
    fields = {field["name"]: field for field in response.json()["datasets"]["community"]["fields"]}
    assert fields["quality_avg"]["type"] == "number"
    assert fields["quality_avg"]["description"].startswith(
        "Average quality score on a 0 to 1 scale, or null."
    )
