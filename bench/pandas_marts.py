"""The four marts in plain pandas, from the synthetic city panel: the comparison side of the scale benchmark.

`load_panel` reads the city tables of a synthetic DuckDB file (bench/synthetic_panel.py) into
DataFrames, with the dbt seeds read from their CSV files; `build_marts` sums the city figures to
the province-grain landing rows, picks the earliest vintage and computes the same four marts as
dbt_project/models, NULLs and reasons included. Written the way a pandas user would (merge, groupby,
sort + drop_duplicates), not tuned against the benchmark.

    .venv/bin/python -m bench.pandas_marts --database FILE

does both in a process of its own (bench/scale_limits.py runs it under a memory limit) and prints the seconds,
from connect to the last mart, as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from bench.synthetic_panel import SEEDS_DIR, SYNTHETIC_SCHEMA
from scrapers._tables.regions import NATIONAL_CODE, NATIONAL_NAME

FACT_COLUMNS = {  # city fact table -> the value columns the marts need
    "nbs_rd_bulletin": ["rd_expenditure_100m_yuan", "gdp_100m_yuan"],
    "csy_rd_expenditure": ["rd_expenditure_100m_yuan"],
    "csy_rd_intensity": ["rd_expenditure_100m_yuan", "gdp_100m_yuan"],
    "csy_patent_grants": ["invention_grants_count", "utility_model_grants_count", "design_grants_count"],
    "csy_tech_market": ["contract_value_100m_yuan"],
    "csy_hightech_industry": ["total_profit_100m_yuan"],
    "torch_hightech_enterprise": ["net_profit_100m_yuan"],
}


@dataclass
class CityPanel:
    cities: pd.DataFrame
    documents: pd.DataFrame
    facts: dict[str, pd.DataFrame]  # feed -> city rows (document, city, data year, values)
    provinces: pd.DataFrame
    membership: pd.DataFrame
    publications: pd.DataFrame


def load_panel(con: duckdb.DuckDBPyConnection) -> CityPanel:
    s = SYNTHETIC_SCHEMA
    facts = {
        feed: con.execute(f"SELECT synthetic_document_id, synthetic_city_id, data_year, {', '.join(columns)} "
                          f"FROM {s}.synthetic_city_{feed}").df()
        for feed, columns in FACT_COLUMNS.items()
    }
    return CityPanel(
        cities=con.execute(f"SELECT synthetic_city_id, province_code, province FROM {s}.synthetic_city").df(),
        documents=con.execute(f"SELECT synthetic_document_id, feed, publication_year, direction, measure, document_sha256 "
                              f"FROM {s}.synthetic_document").df(),
        facts=facts,
        provinces=pd.read_csv(SEEDS_DIR / "provinces.csv", dtype=str),
        membership=pd.read_csv(SEEDS_DIR / "cluster_membership.csv", dtype={"province": str}),
        publications=pd.read_csv(SEEDS_DIR / "publications.csv"),
    )


def to_province_grain(panel: CityPanel, feed: str) -> pd.DataFrame:
    """Landing rows of one feed: sums per document, data year and province, plus the 全国 row."""
    facts = panel.facts[feed].merge(panel.cities, on="synthetic_city_id")
    values = FACT_COLUMNS[feed]
    keys = ["synthetic_document_id", "data_year"]
    by_province = facts.groupby(keys + ["province_code", "province"], sort=False)[values].sum(min_count=1).reset_index()
    national = facts.groupby(keys, sort=False)[values].sum(min_count=1).reset_index()
    national = national.assign(province_code=NATIONAL_CODE, province=NATIONAL_NAME)
    rows = pd.concat([by_province, national], ignore_index=True)
    rows = rows.merge(panel.documents, on="synthetic_document_id")
    if "gdp_100m_yuan" in values:
        rows["rd_intensity_pct"] = rows["rd_expenditure_100m_yuan"] / rows["gdp_100m_yuan"] * 100
    if feed == "csy_patent_grants":
        rows["patent_grants_total_count"] = rows[values].sum(axis=1)
    return rows


def _first_non_null(frame: pd.DataFrame, value: str, partition: list[str], order: list[str]) -> pd.DataFrame:
    """Per partition, the row with the smallest `order` among rows whose value is not NULL."""
    present = frame[frame[value].notna()]
    return present.sort_values(partition + order, kind="stable").drop_duplicates(partition, keep="first")


def _listagg(values: pd.Series) -> str | None:
    distinct = values.dropna().unique()
    return ",".join(distinct) if len(distinct) else None


def rd_selected(landing: dict[str, pd.DataFrame], publications: pd.DataFrame) -> pd.DataFrame:
    columns = ["data_year", "province_code", "province", "publication_year", "document_sha256"]

    def vintage(feed: str, indicator: str, publication_code: str) -> pd.DataFrame:
        return landing[feed][columns + [indicator]].rename(columns={indicator: "value"}).assign(
            indicator=indicator, publication_code=publication_code)

    vintages = pd.concat([
        vintage("nbs_rd_bulletin", "rd_expenditure_100m_yuan", "nbs_rd_bulletin"),
        vintage("nbs_rd_bulletin", "rd_intensity_pct", "nbs_rd_bulletin"),
        vintage("csy_rd_expenditure", "rd_expenditure_100m_yuan", "csy"),
        vintage("csy_rd_intensity", "rd_intensity_pct", "csy"),
    ], ignore_index=True)
    vintages = vintages.merge(publications[["publication_code", "release_order_in_year"]], on="publication_code")
    chosen = _first_non_null(vintages, "value", ["data_year", "province_code", "indicator"],
                             ["publication_year", "release_order_in_year"])
    chosen["vintage"] = chosen["publication_code"] + " " + chosen["publication_year"].astype(str)
    keys = chosen[["data_year", "province_code", "province"]].drop_duplicates(["data_year", "province_code"])
    for indicator, names in {
        "rd_expenditure_100m_yuan": ("rd_expenditure_100m_yuan", "rd_expenditure_vintage", "rd_expenditure_document_sha256"),
        "rd_intensity_pct": ("rd_intensity_pct", "rd_intensity_vintage", "rd_intensity_document_sha256"),
    }.items():
        one = chosen.loc[chosen["indicator"] == indicator, ["data_year", "province_code", "value", "vintage", "document_sha256"]]
        keys = keys.merge(one.set_axis(["data_year", "province_code", *names], axis=1), on=["data_year", "province_code"],
                          how="left")
    keys["is_national"] = keys["province_code"] == NATIONAL_CODE
    return keys


def province_panel(landing: dict[str, pd.DataFrame], rd: pd.DataFrame, provinces: pd.DataFrame) -> pd.DataFrame:
    tech = landing["csy_tech_market"]
    tech = _first_non_null(tech[tech["measure"] == "contract_value"], "contract_value_100m_yuan",
                           ["direction", "data_year", "province_code"], ["publication_year"])
    years = pd.concat([rd["data_year"], landing["csy_patent_grants"]["data_year"],
                       landing["csy_hightech_industry"]["data_year"], tech["data_year"]]).drop_duplicates()
    panel = pd.DataFrame({"data_year": years}).merge(provinces[["province_code", "province"]], how="cross")
    keys = ["data_year", "province_code"]

    def joined(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
        return frame[keys + list(columns)].rename(columns=columns)

    rd_columns = ["rd_expenditure_100m_yuan", "rd_intensity_pct", "rd_expenditure_document_sha256"]
    panel = panel.merge(rd[keys + rd_columns], on=keys, how="left")
    panel["implied_gdp_100m_yuan"] = panel["rd_expenditure_100m_yuan"] / panel["rd_intensity_pct"].replace(0, np.nan) * 100
    for frame, columns in [
        (landing["csy_patent_grants"], {"patent_grants_total_count": "patent_grants_total_count",
                                        "invention_grants_count": "invention_grants_count",
                                        "document_sha256": "patent_document_sha256"}),
        (tech[tech["direction"] == "outflow"], {"contract_value_100m_yuan": "tech_outflow_100m_yuan",
                                                "document_sha256": "tech_outflow_document_sha256"}),
        (tech[tech["direction"] == "inflow"], {"contract_value_100m_yuan": "tech_inflow_100m_yuan",
                                               "document_sha256": "tech_inflow_document_sha256"}),
        (landing["csy_hightech_industry"], {"total_profit_100m_yuan": "hightech_industry_profit_100m_yuan",
                                            "document_sha256": "hightech_industry_document_sha256"}),
        (landing["torch_hightech_enterprise"], {"net_profit_100m_yuan": "hightech_enterprise_net_profit_100m_yuan",
                                                "document_sha256": "hightech_enterprise_document_sha256"}),
    ]:
        panel = panel.merge(joined(frame, columns), on=keys, how="left")
    return panel


def cluster_members(panel: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    members = panel.merge(membership[["cluster", "cluster_name_en", "province", "valid_from_year", "valid_to_year"]],
                          on="province")
    members = members[members["data_year"].between(members["valid_from_year"], members["valid_to_year"])]
    return members.drop(columns=["valid_from_year", "valid_to_year"])


def _rank_desc(frame: pd.DataFrame, column: str, by: str = "year") -> pd.Series:
    return frame.groupby(by)[column].rank(method="min", ascending=False)


def province_rd_ranking(rd: pd.DataFrame, provinces: pd.DataFrame) -> pd.DataFrame:
    national = rd.loc[rd["is_national"], ["data_year", "rd_intensity_pct", "rd_intensity_document_sha256"]].set_axis(
        ["data_year", "national_rd_intensity_pct", "national_document_sha256"], axis=1)
    ranking = rd[~rd["is_national"]].merge(national, on="data_year", how="left")
    ranking = ranking.merge(provinces[["province_code", "province_name_en"]], on="province_code", how="left")
    ranking = ranking.rename(columns={"data_year": "year"})
    ranking["intensity_rank"] = _rank_desc(ranking, "rd_intensity_pct")
    both = ranking["rd_intensity_pct"].notna() & ranking["national_rd_intensity_pct"].notna()
    ranking["above_national"] = (ranking["rd_intensity_pct"] > ranking["national_rd_intensity_pct"]).where(both)
    ranking["null_reason"] = np.select(
        [ranking["rd_intensity_pct"].isna(), ranking["national_rd_intensity_pct"].isna()],
        ["no archived document publishes R&D intensity for this year (bulletins from 2018, yearbook back series from 2011)",
         "no national R&D intensity for this year"], default=None)
    return ranking[["year", "province_code", "province", "province_name_en", "rd_expenditure_100m_yuan", "rd_intensity_pct",
                    "intensity_rank", "national_rd_intensity_pct", "above_national", "rd_expenditure_vintage",
                    "rd_intensity_vintage", "null_reason", "rd_expenditure_document_sha256", "rd_intensity_document_sha256",
                    "national_document_sha256"]]


def cluster_indicators(members: pd.DataFrame, rd: pd.DataFrame) -> pd.DataFrame:
    rd_years = rd.loc[rd["rd_expenditure_100m_yuan"].notna(), "data_year"].unique()
    members = members[members["data_year"].isin(rd_years)].assign(
        rd_with_gdp=lambda m: m["rd_expenditure_100m_yuan"].where(m["implied_gdp_100m_yuan"].notna()))
    sums = ["rd_expenditure_100m_yuan", "implied_gdp_100m_yuan", "rd_with_gdp", "patent_grants_total_count",
            "invention_grants_count", "tech_outflow_100m_yuan", "tech_inflow_100m_yuan",
            "hightech_industry_profit_100m_yuan", "hightech_enterprise_net_profit_100m_yuan"]
    grouped = members.groupby(["data_year", "cluster", "cluster_name_en"], sort=False)
    out = grouped[sums].sum(min_count=1)
    counts = grouped[sums].count()
    out["members_count"] = grouped.size()
    out["rd_expenditure_document_sha256s"] = grouped["rd_expenditure_document_sha256"].agg(_listagg)
    out = out.reset_index().rename(columns={"data_year": "year"})
    counts = counts.reset_index(drop=True)
    out["members_reporting_rd_expenditure"] = counts["rd_expenditure_100m_yuan"]
    out["members_reporting_implied_gdp"] = counts["implied_gdp_100m_yuan"]
    out["members_reporting_patents"] = counts["invention_grants_count"]
    out["members_reporting_tech_outflow"] = counts["tech_outflow_100m_yuan"]
    out["members_reporting_tech_inflow"] = counts["tech_inflow_100m_yuan"]
    out["members_reporting_hightech_industry"] = counts["hightech_industry_profit_100m_yuan"]
    out["members_reporting_hightech_enterprise"] = counts["hightech_enterprise_net_profit_100m_yuan"]
    out["gdp_is_implied"] = True
    out["rd_intensity_pct"] = out["rd_with_gdp"] / out["implied_gdp_100m_yuan"].replace(0, np.nan) * 100
    out["tech_net_outflow_100m_yuan"] = out["tech_outflow_100m_yuan"] - out["tech_inflow_100m_yuan"]
    out["hightech_industry_null_reason"] = np.where(
        counts["hightech_industry_profit_100m_yuan"] == 0,
        "no high-tech industry table archived for this year (2017 is missing upstream)", None)
    out["hightech_enterprise_null_reason"] = np.where(
        counts["hightech_enterprise_net_profit_100m_yuan"] == 0,
        "Torch high-tech enterprise table (licensed) not loaded for this year", None)
    out["rd_intensity_null_reason"] = np.where(
        counts["implied_gdp_100m_yuan"] == 0, "no R&D intensity archived for this year, so no implied GDP", None)
    out["tech_market_null_reason"] = np.where(
        (counts["tech_outflow_100m_yuan"] == 0) | (counts["tech_inflow_100m_yuan"] == 0),
        "no technology-market value archived for this year (yearbook back series skip some years)", None)
    return out.drop(columns="rd_with_gdp")


def proxy_notes(members: pd.DataFrame, known_jumps: pd.DataFrame) -> pd.DataFrame:
    """Per cluster and year t: the known jumps of its members' high-tech industry profit in t+1, in words."""
    jumps = known_jumps[(known_jumps["feed"] == "csy_hightech_industry")
                        & (known_jumps["column_name"] == "total_profit_100m_yuan")]
    jumps = jumps.merge(members[["cluster", "province", "data_year"]], on=["province", "data_year"])
    if jumps.empty:
        return pd.DataFrame(columns=["cluster", "year", "transformation_stage_proxy_note"])
    jumps = jumps.sort_values("province")
    jumps["text"] = (jumps["province"] + " " + jumps["data_year"].astype(str) + " high-tech industry profit "
                     + jumps["value"].astype(str) + " 亿元 against " + jumps["previous_value"].astype(str)
                     + " a year earlier, as printed: " + jumps["why"])
    notes = jumps.groupby(["cluster", "data_year"], sort=False)["text"].agg("; ".join).reset_index()
    return notes.assign(year=notes["data_year"] - 1).rename(columns={"text": "transformation_stage_proxy_note"})[
        ["cluster", "year", "transformation_stage_proxy_note"]]


def cluster_stage_efficiency(members: pd.DataFrame, known_jumps: pd.DataFrame | None = None) -> pd.DataFrame:
    grouped = members.groupby(["cluster", "data_year"], sort=False)
    figures = {"rd": "rd_expenditure_100m_yuan", "inventions": "invention_grants_count",
               "enterprise_profit": "hightech_enterprise_net_profit_100m_yuan",
               "industry_profit": "hightech_industry_profit_100m_yuan"}
    year = pd.DataFrame({"members_count": grouped.size()})
    for name, column in figures.items():
        year[name] = grouped[column].sum(min_count=1)
        year[f"with_{name}"] = grouped[column].count()
    for name, column in {"rd_document_sha256s": "rd_expenditure_document_sha256",
                         "patent_document_sha256s": "patent_document_sha256",
                         "hightech_industry_document_sha256s": "hightech_industry_document_sha256",
                         "hightech_enterprise_document_sha256s": "hightech_enterprise_document_sha256"}.items():
        year[name] = grouped[column].agg(_listagg)
    year = year.reset_index()
    this = year[year["with_rd"] > 0]
    following = year.assign(data_year=year["data_year"] - 1)
    paired = this.merge(following, on=["cluster", "data_year"], how="left", suffixes=("", "_next"))

    def complete(name: str, suffix: str) -> pd.Series:
        return paired[f"{name}{suffix}"].where(paired[f"with_{name}{suffix}"] == paired[f"members_count{suffix}"])

    out = pd.DataFrame({
        "year": paired["data_year"], "cluster": paired["cluster"],
        "rd_expenditure_100m_yuan": complete("rd", ""),
        "invention_grants_next_year_count": complete("inventions", "_next"),
        "hightech_enterprise_net_profit_next_year_100m_yuan": complete("enterprise_profit", "_next"),
        "hightech_industry_profit_next_year_100m_yuan": complete("industry_profit", "_next"),
        "rd_document_sha256s": paired["rd_document_sha256s"],
        "invention_grants_document_sha256s": paired["patent_document_sha256s_next"],
        "hightech_enterprise_document_sha256s": paired["hightech_enterprise_document_sha256s_next"],
        "hightech_industry_document_sha256s": paired["hightech_industry_document_sha256s_next"],
    })
    rd = out["rd_expenditure_100m_yuan"].replace(0, np.nan)
    no_rd = out["rd_expenditure_100m_yuan"].isna()
    no_rd_reason = "R&D expenditure missing for a member in year t"
    out["patent_stage_efficiency"] = out["invention_grants_next_year_count"] / rd
    out["transformation_stage_efficiency"] = out["hightech_enterprise_net_profit_next_year_100m_yuan"] / rd
    out["transformation_stage_efficiency_hitech_industry_proxy"] = out["hightech_industry_profit_next_year_100m_yuan"] / rd
    out["patent_stage_rank"] = _rank_desc(out, "patent_stage_efficiency")
    out["transformation_stage_rank"] = _rank_desc(out, "transformation_stage_efficiency")
    out["transformation_stage_proxy_rank"] = _rank_desc(out, "transformation_stage_efficiency_hitech_industry_proxy")
    out["patent_stage_null_reason"] = np.select(
        [no_rd, out["invention_grants_next_year_count"].isna()],
        [no_rd_reason, "invention grants for year t+1 not archived for every member"], default=None)
    out["transformation_stage_null_reason"] = np.select(
        [no_rd, out["hightech_enterprise_net_profit_next_year_100m_yuan"].isna()],
        [no_rd_reason, "high-tech enterprise net profit for year t+1 not loaded (Torch yearbook, licensed feed); "
                       "see transformation_stage_efficiency_hitech_industry_proxy"], default=None)
    out["transformation_stage_proxy_null_reason"] = np.select(
        [no_rd, out["hightech_industry_profit_next_year_100m_yuan"].isna()],
        [no_rd_reason, "high-tech industry profit for year t+1 not archived for every member"], default=None)
    if known_jumps is None:  # the synthetic panel has no known jumps
        out["transformation_stage_proxy_note"] = None
        return out
    return out.merge(proxy_notes(members, known_jumps), on=["cluster", "year"], how="left")


def tech_market_balance(panel: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    provinces = panel[panel["tech_outflow_100m_yuan"].notna() | panel["tech_inflow_100m_yuan"].notna()]
    provinces = pd.DataFrame({
        "year": provinces["data_year"], "region_type": "province", "region": provinces["province"],
        "outflow_100m_yuan": provinces["tech_outflow_100m_yuan"], "inflow_100m_yuan": provinces["tech_inflow_100m_yuan"],
        "outflow_document_sha256s": provinces["tech_outflow_document_sha256"],
        "inflow_document_sha256s": provinces["tech_inflow_document_sha256"],
    })
    grouped = members.groupby(["data_year", "cluster"], sort=False)
    clusters = pd.DataFrame({"members": grouped.size()})
    for direction in ("outflow", "inflow"):
        column = f"tech_{direction}_100m_yuan"
        clusters[f"reporting_{direction}"] = grouped[column].count()
        complete = clusters[f"reporting_{direction}"] == clusters["members"]
        clusters[f"{direction}_100m_yuan"] = grouped[column].sum().where(complete)
        clusters[f"{direction}_document_sha256s"] = grouped[f"tech_{direction}_document_sha256"].agg(_listagg)
    clusters = clusters[(clusters["reporting_outflow"] > 0) | (clusters["reporting_inflow"] > 0)].reset_index()
    clusters = clusters.rename(columns={"data_year": "year", "cluster": "region"}).assign(region_type="cluster")
    balance = pd.concat([provinces, clusters[provinces.columns]], ignore_index=True)
    balance["net_outflow_100m_yuan"] = balance["outflow_100m_yuan"] - balance["inflow_100m_yuan"]
    one_missing = balance["outflow_100m_yuan"].isna() | balance["inflow_100m_yuan"].isna()
    balance["null_reason"] = np.where(
        one_missing,
        "one direction not published for this year" + np.where(balance["region_type"] == "cluster", " for every member", ""),
        None)
    return balance


def build_marts(panel: CityPanel) -> dict[str, pd.DataFrame]:
    landing = {feed: to_province_grain(panel, feed) for feed in FACT_COLUMNS}
    return marts_from_landing(landing, panel.publications, panel.provinces, panel.membership)


def marts_from_landing(landing: dict[str, pd.DataFrame], publications: pd.DataFrame, provinces: pd.DataFrame,
                       membership: pd.DataFrame, known_jumps: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The four marts from province-grain landing rows (one version of each document), as dbt builds them."""
    rd = rd_selected(landing, publications)
    provinces_panel = province_panel(landing, rd, provinces)
    members = cluster_members(provinces_panel, membership)
    return {
        "province_rd_ranking": province_rd_ranking(rd, provinces),
        "cluster_indicators": cluster_indicators(members, rd),
        "cluster_stage_efficiency": cluster_stage_efficiency(members, known_jumps),
        "tech_market_balance": tech_market_balance(provinces_panel, members),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="The four marts in pandas from a synthetic panel's city tables.")
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    start = time.perf_counter()
    with duckdb.connect(args.database, read_only=True) as con:
        panel = load_panel(con)
    build_marts(panel)
    print(json.dumps({"seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
