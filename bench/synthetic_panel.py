"""A SYNTHETIC city-level panel for the scale benchmark: made-up numbers, never real statistics.

    nice -n 10 .venv/bin/python -m bench.synthetic_panel --rows 1e6 [--path bench/out/synthetic_panel_1e6.duckdb]

Writes a separate DuckDB file (under bench/out/, gitignored) with:

schema `synthetic`   the city panel, at city grain (the fact tables that reach 10⁵ … 10⁷ rows)
  synthetic_city               300 made-up prefecture cities, each in one real province (dbt seed
                               provinces.csv), so a city belongs to a cluster through the same seed
                               cluster_membership.csv as the real marts use
  synthetic_document           one made-up publication per feed, edition, direction and measure
  synthetic_city_<feed>        one row per city and figure, for each of the seven landing feeds; the
                               back-series feeds (R&D intensity, technology market) re-publish every
                               earlier year in every edition, as the yearbooks do, so they dominate
schema `synthetic_landing`  written by `build_landing`: the city figures summed to the province grain
                               (and 全国), in exactly the columns of the real `landing.*` tables, so the
                               project's own dbt models read it through the `landing_schema` var

Everything says what it is: schema and table names start with `synthetic`, every table carries a
comment and the dimension, document and landing tables an `is_synthetic` column. Values come from a
hash of their keys (deterministic, no random state) with plausible magnitudes; R&D intensity at
city grain is carried as R&D expenditure and GDP so that a province's intensity is ΣR&D / ΣGDP.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bench.timing import OUT_DIR
from core.feed import feed_names, load_spec
from core.paths import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
CITY_COUNT = 300
LAST_DATA_YEAR = 2023
SYNTHETIC_SCHEMA = "synthetic"
LANDING_SCHEMA = "synthetic_landing"
SYNTHETIC_COMMENT = "SYNTHETIC benchmark data (bench/synthetic_panel.py): made-up numbers, not statistics"
# Like the real archive: bulletins exist only for the recent half of the years, the intensity back
# series starts one year after the first data year (so that year has no intensity), the high-tech
# industry table is missing one year in seven (2017 among them), and every technology-market edition
# prints no inflow value for the oldest year.
HIGHTECH_MISSING_YEAR_MOD7 = 2017 % 7
ONE_YEAR_FEEDS = ("nbs_rd_bulletin", "csy_rd_expenditure", "csy_patent_grants", "csy_hightech_industry",
                  "torch_hightech_enterprise")
TECH_MARKET_DOCUMENTS = [(d, m) for d in ("outflow", "inflow") for m in ("contract_value", "contract_count")]


@dataclass(frozen=True)
class PanelShape:
    """How many data years the panel spans; every other size follows from it and CITY_COUNT."""

    years: int

    @property
    def first_year(self) -> int:
        return LAST_DATA_YEAR - self.years + 1

    @property
    def first_bulletin_year(self) -> int:
        return self.first_year + self.years // 2

    def data_years(self) -> range:
        return range(self.first_year, LAST_DATA_YEAR + 1)

    def fact_rows(self) -> dict[str, int]:
        """Rows of each city fact table, computed without generating it."""
        years = list(self.data_years())
        back_series = sum(e - self.first_year for e in range(self.first_year + 1, LAST_DATA_YEAR + 2))
        rows = {
            "nbs_rd_bulletin": sum(y >= self.first_bulletin_year for y in years),
            "csy_rd_expenditure": len(years),
            "csy_rd_intensity": back_series - self.years,  # every edition without the first data year
            "csy_patent_grants": len(years),
            "csy_tech_market": back_series * len(TECH_MARKET_DOCUMENTS),
            "csy_hightech_industry": sum(y % 7 != HIGHTECH_MISSING_YEAR_MOD7 for y in years),
            "torch_hightech_enterprise": len(years),
        }
        return {feed: n * CITY_COUNT for feed, n in rows.items()}

    def total_rows(self) -> int:
        return sum(self.fact_rows().values())


def shape_for_rows(target_rows: int) -> PanelShape:
    """The fewest data years whose fact tables hold at least target_rows rows together."""
    years = 1
    while PanelShape(years).total_rows() < target_rows:
        years += 1
    return PanelShape(years)


def size_label(target_rows: int) -> str:
    """1e5, 1e6, 1e7 …"""
    return f"{target_rows:.0e}".replace("e+0", "e").replace("e+", "e")


def default_path(target_rows: int) -> Path:
    return OUT_DIR / f"synthetic_panel_{size_label(target_rows)}.duckdb"


def _city_rows() -> list[tuple]:
    """CITY_COUNT made-up cities spread over the 31 provinces (at least one each), deterministically."""
    with (SEEDS_DIR / "provinces.csv").open(encoding="utf-8") as f:
        provinces = list(csv.DictReader(f))
    # Weights from the province code alone, so the split never changes between runs.
    weights = [1 + (int(p["province_code"]) * 7919) % 13 for p in provinces]
    spare = CITY_COUNT - len(provinces)
    shares = [spare * w / sum(weights) for w in weights]
    counts = [1 + int(s) for s in shares]
    by_remainder = sorted(range(len(provinces)), key=lambda i: int(shares[i]) - shares[i])
    for i in by_remainder[: CITY_COUNT - sum(counts)]:
        counts[i] += 1
    rows, city_id = [], 0
    for province, count in zip(provinces, counts, strict=True):
        for n in range(1, count + 1):
            city_id += 1
            rows.append((city_id, f"SYN-{province['province_code']}-{n:02d}",
                         f"Synthetic city {province['province_name_en']} {n:02d}",
                         province["province_code"], province["province"], True))
    return rows


def _uniform(label: str, *keys: str) -> str:
    """SQL for a deterministic number in [0, 1) from the hash of a label and the row's keys."""
    return f"((hash('{label}', {', '.join(keys)}) % 1000003) / 1000003.0)"


def generate(path: Path, shape: PanelShape) -> dict[str, int]:
    """Write the synthetic city panel to a new DuckDB file at path; rows per fact table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    s = SYNTHETIC_SCHEMA
    size = f"(0.2 + 3 * {_uniform('size', 'c.synthetic_city_id')} ^ 2)"  # a few large cities, many small
    growth = "(1.03 ^ (y.data_year - 2000))"
    city_intensity_pct = f"(0.4 + 5 * {_uniform('intensity', 'c.synthetic_city_id')} ^ 2)"
    rd = f"({size} * 20 * {growth} * (0.9 + 0.2 * {_uniform('rd', 'c.synthetic_city_id', 'y.data_year')}))"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE SCHEMA {s}")
        con.execute(f"""CREATE TABLE {s}.synthetic_city (synthetic_city_id INTEGER PRIMARY KEY,
            synthetic_city_code VARCHAR, synthetic_city_name VARCHAR, province_code VARCHAR, province VARCHAR,
            is_synthetic BOOLEAN)""")
        con.executemany(f"INSERT INTO {s}.synthetic_city VALUES (?, ?, ?, ?, ?, ?)", _city_rows())
        con.execute(f"CREATE TABLE {s}.synthetic_year AS SELECT range::INTEGER AS data_year "
                    f"FROM range({shape.first_year}, {LAST_DATA_YEAR + 1})")
        _create_documents(con, shape)
        one_year_facts = {
            "nbs_rd_bulletin": f"""round({rd}, 4) AS rd_expenditure_100m_yuan,
                round({rd} / {city_intensity_pct} * 100
                      * (0.985 + 0.03 * {_uniform('gdp_first', 'c.synthetic_city_id', 'y.data_year')}), 4)
                    AS gdp_100m_yuan""",
            "csy_rd_expenditure": f"""round({rd}
                * (0.9995 + 0.001 * {_uniform('rd_revised', 'c.synthetic_city_id', 'y.data_year')}), 4)
                    AS rd_expenditure_100m_yuan""",
            "csy_patent_grants": f"""floor({rd} * (3 + 4 * {_uniform('inv', 'c.synthetic_city_id', 'y.data_year')}))::BIGINT
                    AS invention_grants_count,
                floor({rd} * (9 + 6 * {_uniform('um', 'c.synthetic_city_id', 'y.data_year')}))::BIGINT
                    AS utility_model_grants_count,
                floor({rd} * (4 + 4 * {_uniform('des', 'c.synthetic_city_id', 'y.data_year')}))::BIGINT
                    AS design_grants_count""",
            "csy_hightech_industry": f"""
                floor({size} * 50 * (1 + {_uniform('ent', 'c.synthetic_city_id', 'y.data_year')}))::BIGINT AS enterprises_count,
                round({size} * 400 * {growth}, 4) AS revenue_100m_yuan,
                round({size} * 400 * {growth}
                      * (0.03 + 0.07 * {_uniform('profit', 'c.synthetic_city_id', 'y.data_year')}), 4)
                    AS total_profit_100m_yuan""",
            "torch_hightech_enterprise": f"""round({size} * 40 * {growth}
                * (0.5 + {_uniform('torch', 'c.synthetic_city_id', 'y.data_year')}), 4) AS net_profit_100m_yuan""",
        }
        for feed, columns in one_year_facts.items():
            con.execute(f"""CREATE TABLE {s}.synthetic_city_{feed} AS
                SELECT d.synthetic_document_id, c.synthetic_city_id, y.data_year, {columns}
                FROM {s}.synthetic_document AS d
                JOIN {s}.synthetic_year AS y ON y.data_year = d.data_year
                CROSS JOIN {s}.synthetic_city AS c
                WHERE d.feed = '{feed}'
                ORDER BY d.synthetic_document_id, c.synthetic_city_id""")
        # Back series: edition e re-publishes every year before e, GDP (so intensity) revised per edition.
        con.execute(f"""CREATE TABLE {s}.synthetic_city_csy_rd_intensity AS
            SELECT d.synthetic_document_id, c.synthetic_city_id, y.data_year,
                round({rd}, 4) AS rd_expenditure_100m_yuan,
                round({rd} / {city_intensity_pct} * 100
                      * (0.985 + 0.03 * {_uniform('gdp', 'c.synthetic_city_id', 'y.data_year', 'd.publication_year')}), 4)
                    AS gdp_100m_yuan
            FROM {s}.synthetic_document AS d
            JOIN {s}.synthetic_year AS y ON y.data_year < d.publication_year AND y.data_year > {shape.first_year}
            CROSS JOIN {s}.synthetic_city AS c
            WHERE d.feed = 'csy_rd_intensity'
            ORDER BY d.synthetic_document_id, y.data_year, c.synthetic_city_id""")
        tech_value = f"""({size} * 30 * {growth}
            * (0.8 + 0.4 * {_uniform('tech', 'c.synthetic_city_id', 'y.data_year', 'd.direction')})
            * (0.99 + 0.02 * {_uniform('tech_revised', 'c.synthetic_city_id', 'y.data_year', 'd.publication_year',
                                       'd.direction')}))"""
        con.execute(f"""CREATE TABLE {s}.synthetic_city_csy_tech_market AS
            SELECT d.synthetic_document_id, c.synthetic_city_id, y.data_year,
                CASE WHEN d.measure = 'contract_value'
                      AND NOT (d.direction = 'inflow' AND y.data_year = {shape.first_year})
                     THEN round({tech_value}, 4) END AS contract_value_100m_yuan,
                CASE WHEN d.measure = 'contract_count' THEN floor({tech_value} * 15)::BIGINT END AS contract_count
            FROM {s}.synthetic_document AS d
            JOIN {s}.synthetic_year AS y ON y.data_year < d.publication_year
            CROSS JOIN {s}.synthetic_city AS c
            WHERE d.feed = 'csy_tech_market'
            ORDER BY d.synthetic_document_id, y.data_year, c.synthetic_city_id""")
        counts = {}
        for feed in shape.fact_rows():
            con.execute(f"COMMENT ON TABLE {s}.synthetic_city_{feed} IS '{SYNTHETIC_COMMENT}'")
            counts[feed] = con.execute(f"SELECT count(*) FROM {s}.synthetic_city_{feed}").fetchall()[0][0]
        for table in ("synthetic_city", "synthetic_year", "synthetic_document"):
            con.execute(f"COMMENT ON TABLE {s}.{table} IS '{SYNTHETIC_COMMENT}'")
        con.execute("CHECKPOINT")
    return counts


def _create_documents(con: duckdb.DuckDBPyConnection, shape: PanelShape) -> None:
    """One made-up document per one-year feed and year, per back-series edition (× direction × measure)."""
    rows = []
    for feed in ONE_YEAR_FEEDS:
        for year in shape.data_years():
            if feed == "nbs_rd_bulletin" and year < shape.first_bulletin_year:
                continue
            if feed == "csy_hightech_industry" and year % 7 == HIGHTECH_MISSING_YEAR_MOD7:
                continue
            rows.append((feed, year + 1, year, None, None))
    editions = range(shape.first_year + 1, LAST_DATA_YEAR + 2)
    rows += [("csy_rd_intensity", e, e - 1, None, None) for e in editions if e - 1 > shape.first_year]
    rows += [("csy_tech_market", e, e - 1, d, m) for e in editions for d, m in TECH_MARKET_DOCUMENTS]
    con.execute(f"""CREATE TABLE {SYNTHETIC_SCHEMA}.synthetic_document (
        synthetic_document_id INTEGER PRIMARY KEY, feed VARCHAR, publication_year INTEGER, data_year INTEGER,
        direction VARCHAR, measure VARCHAR, document_path VARCHAR, document_sha256 VARCHAR, is_synthetic BOOLEAN)""")
    con.executemany(
        f"INSERT INTO {SYNTHETIC_SCHEMA}.synthetic_document VALUES "
        "(?, ?, ?, ?, ?, ?, ?, sha256(?), true)",
        [(i, feed, pub, year, d, m, path, path)
         for i, (feed, pub, year, d, m) in enumerate(rows, start=1)
         for path in [f"synthetic/{feed}/{pub}/{year}" + (f"/{d}-{m}" if d else "")]],
    )


# City figures → province-grain landing rows: each feed's sums per document, data year and province,
# plus the national (全国, code 00) row over all cities. Intensities are ΣR&D / ΣGDP × 100.
LANDING_MEASURES = {
    "nbs_rd_bulletin": """sum(f.rd_expenditure_100m_yuan) AS rd_expenditure_100m_yuan,
        sum(f.rd_expenditure_100m_yuan) / sum(f.gdp_100m_yuan) * 100 AS rd_intensity_pct""",
    "csy_rd_expenditure": "sum(f.rd_expenditure_100m_yuan) AS rd_expenditure_100m_yuan",
    "csy_rd_intensity": "sum(f.rd_expenditure_100m_yuan) / sum(f.gdp_100m_yuan) * 100 AS rd_intensity_pct",
    "csy_patent_grants": """sum(f.invention_grants_count + f.utility_model_grants_count + f.design_grants_count)::BIGINT
            AS patent_grants_total_count,
        sum(f.invention_grants_count)::BIGINT AS invention_grants_count,
        sum(f.utility_model_grants_count)::BIGINT AS utility_model_grants_count,
        sum(f.design_grants_count)::BIGINT AS design_grants_count""",
    "csy_tech_market": """sum(f.contract_value_100m_yuan) AS contract_value_100m_yuan,
        sum(f.contract_count)::BIGINT AS contract_count""",
    "csy_hightech_industry": """sum(f.enterprises_count)::BIGINT AS enterprises_count,
        sum(f.revenue_100m_yuan) AS revenue_100m_yuan, sum(f.total_profit_100m_yuan) AS total_profit_100m_yuan""",
    "torch_hightech_enterprise": "sum(f.net_profit_100m_yuan) AS net_profit_100m_yuan",
}


def build_landing(con: duckdb.DuckDBPyConnection, target: str = LANDING_SCHEMA) -> None:
    """(Re)create schema `target` (synthetic_landing by default; may name an attached in-memory database's
    schema): the real landing tables' columns, filled from the city panel."""
    s = SYNTHETIC_SCHEMA
    con.execute(f"DROP SCHEMA IF EXISTS {target} CASCADE")
    con.execute(f"CREATE SCHEMA {target}")
    for feed, measures in LANDING_MEASURES.items():
        extra = "d.direction, d.measure, " if feed == "csy_tech_market" else ""
        con.execute(f"""CREATE TABLE {target}.{feed} AS
            WITH by_region AS (
                SELECT f.synthetic_document_id, f.data_year, c.province_code, c.province, {measures}
                FROM {s}.synthetic_city_{feed} AS f
                JOIN {s}.synthetic_city AS c USING (synthetic_city_id)
                GROUP BY GROUPING SETS ((f.synthetic_document_id, f.data_year, c.province_code, c.province),
                                        (f.synthetic_document_id, f.data_year))
            )
            SELECT coalesce(r.province_code, '00') AS province_code, coalesce(r.province, '全国') AS province,
                r.data_year::BIGINT AS data_year, d.feed, d.document_path, d.document_sha256,
                d.publication_year::BIGINT AS publication_year, {extra}r.* EXCLUDE (synthetic_document_id, data_year,
                province_code, province), true AS is_synthetic
            FROM by_region AS r
            JOIN {s}.synthetic_document AS d USING (synthetic_document_id)""")
        con.execute(f"COMMENT ON TABLE {target}.{feed} IS '{SYNTHETIC_COMMENT}'")
    publication_codes = " ".join(f"WHEN '{feed}' THEN '{load_spec(feed).publication.code}'" for feed in feed_names())
    con.execute(f"""CREATE TABLE {target}.documents AS
        SELECT document_sha256, document_path, feed, 'SYNTHETIC (bench/synthetic_panel.py)' AS publisher,
            CASE feed {publication_codes} END AS publication_code, 'synthetic ' || feed AS publication,
            'synthetic table' AS table_title, data_year::BIGINT AS data_year,
            publication_year::BIGINT AS publication_year, 0::BIGINT AS bytes, 'generated' AS copied_from,
            DATE '2026-01-01' AS archived_on, NULL::VARCHAR AS official_url,
            to_json({{'direction': direction, 'measure': measure}}) AS attributes,
            document_path AS document_key, 'bundled' AS archive, '2026-01-01T00:00:00Z' AS received_at,
            NULL::JSON AS acquisition, NULL::VARCHAR AS refused_reason, true AS is_synthetic
        FROM {s}.synthetic_document""")
    con.execute(f"COMMENT ON TABLE {target}.documents IS '{SYNTHETIC_COMMENT}'")
    # No jump of the made-up figures is a known one.
    con.execute(f"""CREATE TABLE {target}.known_jumps (feed VARCHAR, province VARCHAR, series VARCHAR, data_year BIGINT,
        column_name VARCHAR, previous_value DOUBLE, value DOUBLE, why VARCHAR)""")


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the SYNTHETIC city panel to a DuckDB file.")
    parser.add_argument("--rows", type=float, default=1e5, help="at least this many fact rows (e.g. 1e7)")
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    shape = shape_for_rows(int(args.rows))
    path = args.path or default_path(int(args.rows))
    counts = generate(path, shape)
    print(f"{path}: {shape.years} data years ({shape.first_year}-{LAST_DATA_YEAR}), {CITY_COUNT} synthetic cities, "
          f"{sum(counts.values()):,} fact rows")
    for feed, n in counts.items():
        print(f"  synthetic.synthetic_city_{feed:<26} {n:>12,}")


if __name__ == "__main__":
    main()
