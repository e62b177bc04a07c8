"""`manage.py exchangerates_load`: the ECB's eurofxref-hist.csv format, upserted."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from tests.money import ECB_FIXTURE, rates_load
from tokentracker.models import ExchangeRate, RateSource

pytestmark = pytest.mark.django_db


def test_the_ecb_file_is_loaded_rate_by_rate():
    out = rates_load()
    assert out.strip() == "12 rates over 4 days: 12 new, 0 changed"
    assert ExchangeRate.objects.count() == 12
    friday = {
        rate.currency: rate.rate for rate in ExchangeRate.objects.filter(day=date(2024, 5, 3))
    }
    assert friday == {"USD": Decimal("1.0745"), "JPY": Decimal("164.62"), "GBP": Decimal("0.85693")}
    assert set(ExchangeRate.objects.values_list("source", flat=True)) == {RateSource.ECB}


def test_na_cells_and_withdrawn_currencies_are_skipped():
    err = io.StringIO()
    call_command("exchangerates_load", str(ECB_FIXTURE), stdout=io.StringIO(), stderr=err)
    assert "CYP, HRK" in err.getvalue()
    assert not ExchangeRate.objects.filter(currency__in=["CYP", "HRK"]).exists()
    # 2007 had USD, JPY, GBP; 2024's rows have N/A for the withdrawn ones.
    assert ExchangeRate.objects.filter(day=date(2007, 12, 31)).count() == 3


def test_loading_the_same_file_again_changes_nothing():
    rates_load()
    before = list(ExchangeRate.objects.order_by("pk").values_list("pk", "rate", "updated_at"))
    assert rates_load().strip() == "12 rates over 4 days: 0 new, 0 changed"
    assert list(ExchangeRate.objects.order_by("pk").values_list("pk", "rate", "updated_at")) == (
        before
    )


def test_a_corrected_rate_is_updated_in_place(tmp_path):
    rates_load()
    ExchangeRate.objects.filter(currency="USD", day=date(2024, 5, 3)).update(
        rate=Decimal("2"), source=RateSource.ADMIN
    )
    assert rates_load().strip() == "12 rates over 4 days: 0 new, 1 changed"
    rate = ExchangeRate.objects.get(currency="USD", day=date(2024, 5, 3))
    assert (rate.rate, rate.source) == (Decimal("1.0745"), RateSource.ECB)


def test_the_ecbs_zip_is_read_too(tmp_path):
    archive = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(ECB_FIXTURE, "eurofxref-hist.csv")
    assert rates_load(archive).strip() == "12 rates over 4 days: 12 new, 0 changed"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Day,USD,\n2024-05-03,1.07,\n", "the first line must start with Date"),
        ("Date,USD,\n03/05/2024,1.07,\n", "line 2: '03/05/2024' is not a date"),
        ('Date,USD,\n2024-05-03,1.07,\n2024-05-02,"1,07",\n', "line 3, USD: '1,07' is not a"),
        ("Date,USD,\n2024-05-03,-1,\n", "line 2, USD: '-1' is not a positive rate"),
        ("Date,USD,\n2024-05-03,NaN,\n", "line 2, USD: 'NaN' is not a positive rate"),
        ("Date,USD,\n2024-05-03,1.07,1,2,\n", "line 2: 5 cells, the header has 3"),
        ("Date,USD,\n", "no rates"),
        ("", "the first line must start with Date"),
    ],
)
def test_a_malformed_file_is_refused_and_nothing_is_loaded(tmp_path, content, message):
    path = tmp_path / "rates.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message) as refused:
        rates_load(path)
    assert "nothing was loaded" in str(refused.value)
    assert not ExchangeRate.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"could not read .*missing\.csv"):
        rates_load(tmp_path / "missing.csv")


def test_a_binary_file_is_a_clear_error(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="not a text file"):
        rates_load(path)
