"""Parsed figures against independent hand transcriptions (tests/data/reference, copied from
../shared/reference). Where the archive holds the same vintage the figures must agree; every
difference is listed and must fall under a stated explanation, never skipped."""

import pandas as pd
import pytest

from core.paths import DOCUMENTS_DIR
from scrapers.feeds import FEEDS
from tests.conftest import REFERENCE_DIR
from warehouse.archive import read_verified, records_for

# Half a unit of the last printed decimal (the reference rounds), plus float noise.
EXPENDITURE_PRINT_PRECISION = 0.05 + 1e-9  # 亿元, printed with one decimal
INTENSITY_PRINT_PRECISION = 0.005 + 1e-9  # %, printed with two decimals


def feed_frame(feed: str) -> pd.DataFrame:
    return pd.concat(
        [FEEDS[feed].parse(read_verified(r, DOCUMENTS_DIR)).assign(publication_year=r.publication_year)
         for r in records_for(feed, DOCUMENTS_DIR)],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def rd_vintages() -> pd.DataFrame:
    """Every archived value of R&D expenditure and intensity, one row per publication."""
    bulletin = feed_frame("nbs_rd_bulletin").assign(publication="bulletin")
    expenditure = feed_frame("csy_rd_expenditure").assign(publication="yearbook")
    intensity = feed_frame("csy_rd_intensity").assign(publication="yearbook")
    return pd.concat([bulletin, expenditure, intensity], ignore_index=True).rename(columns={"data_year": "year"})


def closest(reference: pd.DataFrame, archive: pd.DataFrame, column: str) -> pd.DataFrame:
    pairs = reference.merge(archive[["year", "province", column, "publication", "publication_year"]].dropna(),
                            on=["year", "province"], suffixes=("_reference", "_archive"))
    pairs["gap"] = (pairs[f"{column}_archive"] - pairs[f"{column}_reference"]).abs()
    return pairs.sort_values("gap").groupby(["year", "province"], as_index=False).first()


def test_rd_expenditure_matches_a_published_vintage_every_year(rd_vintages):
    reference = pd.read_csv(REFERENCE_DIR / "rd_by_province.csv")
    best = closest(reference, rd_vintages, "rd_expenditure_100m_yuan")
    assert len(best) == len(reference) == 384  # 2012-2023, 全国 + 31
    assert best["gap"].max() <= EXPENDITURE_PRINT_PRECISION, best.nlargest(5, "gap")


def test_rd_intensity_agrees_with_the_bulletin_and_differences_are_revisions(rd_vintages):
    reference = pd.read_csv(REFERENCE_DIR / "rd_by_province.csv")
    bulletin_years = set(rd_vintages.loc[rd_vintages.publication == "bulletin", "year"])
    same_vintage = closest(reference[reference.year.isin(bulletin_years)],
                           rd_vintages[rd_vintages.publication == "bulletin"], "rd_intensity_pct")
    # The reference transcribes the bulletins: where the archive has the bulletin, they agree exactly.
    assert len(same_vintage) == 6 * 32
    assert same_vintage["gap"].max() <= INTENSITY_PRINT_PRECISION

    # 2012-2017 bulletins are not archived; the yearbook back series re-computes those intensities on
    # revised GDP (economic census, notes under CSY table 1-8). List every difference.
    older = closest(reference[~reference.year.isin(bulletin_years)], rd_vintages, "rd_intensity_pct")
    differing = older[older["gap"] > INTENSITY_PRINT_PRECISION]
    print("\nintensity: reference (bulletin first release) vs nearest archived yearbook revision")
    print(differing[["year", "province", "rd_intensity_pct_reference", "rd_intensity_pct_archive",
                     "publication_year", "gap"]].to_string(index=False))
    assert len(older) == 6 * 32
    assert set(differing["year"]) <= set(range(2012, 2018))
    assert (differing["publication"] == "yearbook").all()
    assert len(differing) == 39  # measured; a change here means the archive or the parser changed


def test_invention_patents_match_exactly():
    reference = pd.read_csv(REFERENCE_DIR / "invention_patents_by_province.csv")
    archive = feed_frame("csy_patent_grants").rename(columns={"data_year": "year"})
    pairs = reference.merge(archive, on=["year", "province"], how="left")
    assert pairs["invention_grants_count"].notna().all()
    mismatched = pairs[(pairs.invention_grants != pairs.invention_grants_count)
                       | (pairs.total_grants != pairs.patent_grants_total_count)]
    assert mismatched.empty, mismatched[["year", "province", "invention_grants", "invention_grants_count"]]


def test_tech_contracts_2020_match_the_2021_edition():
    reference = pd.read_csv(REFERENCE_DIR / "tech_contracts_2020.csv")
    archive = feed_frame("csy_tech_market")
    edition = archive[(archive.publication_year == 2021) & (archive.data_year == 2020) & (archive.measure == "contract_value")]
    wide = edition.pivot(index="province", columns="direction", values="contract_value_100m_yuan")
    pairs = reference.set_index("province").join(wide)
    assert len(pairs) == 32 and pairs[["outflow", "inflow"]].notna().all().all()
    assert (pairs.outflow - pairs.outflow_100m_yuan).abs().max() < 1e-4
    assert (pairs.inflow - pairs.inflow_100m_yuan).abs().max() < 1e-4
