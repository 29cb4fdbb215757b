"""Charts of the marts for analysts: PNG files drawn with matplotlib's Agg backend.

Every figure, name, source and vintage on a chart is read from the warehouse (the marts, the
`reference` seeds and `landing.documents`). Labels use the seeds' English names, so no CJK font is
needed. A NULL figure is drawn as a gap, never as zero, and its reason is listed under the chart.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")  # files only: no display on a server or in Dagster
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from warehouse import build_state  # noqa: E402
from warehouse.run_summary import year_ranges  # noqa: E402

UNIT_100M_YUAN = "100 million yuan"  # 亿元, spelled out so no CJK glyph is needed
DPI = 110
CAPTION_CHARS_PER_INCH = 17  # at the caption's 7.5 pt
# Assigned to clusters in English-name order (repeating if the seed ever holds more clusters than colours).
CLUSTER_COLOURS = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
NON_MEMBER_COLOUR = "#c8c8c8"
NATIONAL_COLOUR = "#d62728"

CLUSTER_NAMES_SQL = "SELECT DISTINCT cluster, cluster_name_en FROM reference.cluster_membership"


@dataclass(frozen=True)
class Table:
    """A table behind a chart, as shown in the report."""

    title: str
    frame: pd.DataFrame
    decimals: int


@dataclass(frozen=True)
class Chart:
    title: str
    description: str  # how to read it, with what it shows this time (from the data)
    caption: str  # source publications and vintage rule; the PNG prints it with the notes under the chart
    tables: list[Table]
    notes: list[str]  # why drawn values are missing, from the marts' *_null_reason columns
    path: Path


def cluster_colours(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """English cluster name -> colour, stable across charts."""
    names = sorted({name for _, name in con.execute(CLUSTER_NAMES_SQL).fetchall()})
    return {name: CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)] for i, name in enumerate(names)}


VINTAGE_RULES = {
    "earliest": "earliest publication of each figure (first release; vintage: earliest)",
    "latest": "latest revision of each figure (newest yearbook; vintage: latest)",
}


def vintage_rule(con: duckdb.DuckDBPyConnection) -> str:
    """Which vintage rule the marts were built with, as the build recorded it (meta.build)."""
    record = build_state.recorded(con)
    vintage = record["vintage"] if record else None
    return VINTAGE_RULES.get(vintage, "not recorded (a build from before builds recorded their vintage rule)")


def sources(con: duckdb.DuckDBPyConnection, sha256_sql: str) -> str:
    """Publications (English names) and release years of the documents whose sha256 `sha256_sql` selects.

    `sha256_sql` returns one column of sha256s, or of comma-separated sha256 lists as the cluster marts carry.
    """
    rows = con.execute(f"""
        WITH selected AS (
            SELECT DISTINCT trim(unnest(string_split(sha256, ','))) AS document_sha256
            FROM ({sha256_sql}) AS s(sha256)
        )
        SELECT p.publication_en, min(d.publication_year), max(d.publication_year), count(*)
        FROM selected JOIN landing.documents AS d USING (document_sha256)
        JOIN reference.publications AS p USING (publication_code)
        GROUP BY p.publication_en, p.release_order_in_year
        ORDER BY p.release_order_in_year
    """).fetchall()
    return "; ".join(
        f"{name} (published {first if first == last else f'{first}-{last}'}, "
        f"{documents} document{'' if documents == 1 else 's'})"
        for name, first, last, documents in rows
    )


def null_notes(frame: pd.DataFrame, value_column: str, reason_column: str, label: str) -> list[str]:
    missing = frame[frame[value_column].isna()]
    return [f"{label} is NULL in {year_ranges(group['year'].unique())}: {reason if pd.notna(reason) else 'no reason recorded'}"
            for reason, group in missing.groupby(reason_column, sort=False, dropna=False)]


def gaps(notes: list[str]) -> str:
    return f" Gaps: {' | '.join(notes)}." if notes else ""


def _finish(fig, caption: str, notes: list[str], path: Path) -> None:
    """Write caption and gap notes under the axes and save; the layout leaves room for however many lines they take."""
    lines = textwrap.wrap(caption + gaps(notes), int(CAPTION_CHARS_PER_INCH * fig.get_figwidth()))
    caption_height = (0.1 + 0.13 * len(lines)) / fig.get_figheight()
    fig.tight_layout(rect=(0, caption_height, 1, 1))
    fig.text(0.01, 0.012, "\n".join(lines), fontsize=7.5, color="#444444", va="bottom", ha="left")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, facecolor="white")
    plt.close(fig)


def newest_intensity_year(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT max(year) FROM marts.province_rd_ranking WHERE rd_intensity_pct IS NOT NULL").fetchall()[0][0]


def rd_intensity_ranking(con: duckdb.DuckDBPyConnection, out_dir: Path, year: int | None = None) -> Chart:
    """31 provinces ranked by R&D intensity in `year` (default: the newest year with intensities)."""
    year = newest_intensity_year(con) if year is None else year
    frame = con.execute("""
        SELECT r.intensity_rank, r.province_name_en, m.cluster_name_en, r.rd_intensity_pct,
               r.rd_expenditure_100m_yuan, r.above_national, r.national_rd_intensity_pct,
               r.rd_intensity_vintage, r.null_reason
        FROM marts.province_rd_ranking AS r
        LEFT JOIN reference.cluster_membership AS m
            ON m.province = r.province AND r.year BETWEEN m.valid_from_year AND m.valid_to_year
        WHERE r.year = ?
        ORDER BY r.intensity_rank NULLS LAST, r.province_name_en
    """, [year]).df()
    if frame.empty or frame.rd_intensity_pct.isna().all():
        raise ValueError(f"marts.province_rd_ranking has no R&D intensity for {year}")
    national_pct = frame.national_rd_intensity_pct.dropna().unique()
    colours = cluster_colours(con)

    fig, ax = plt.subplots(figsize=(9, 10))
    legend = ranked_bars(ax, frame.rd_intensity_pct, frame.province_name_en, frame.cluster_name_en, colours,
                         [f"{v:.2f}" if pd.notna(v) else "NULL" for v in frame.rd_intensity_pct], offset=0.04)
    for pct in national_pct:
        ax.axvline(pct, color=NATIONAL_COLOUR, linestyle="--", linewidth=1.2, zorder=1.5)
        legend.append(Line2D([], [], color=NATIONAL_COLOUR, linestyle="--", label=f"national level ({pct:.2f}%)"))
    ax.legend(handles=legend, loc="lower right", fontsize=9, frameon=True)
    ax.set_xlabel("R&D intensity: R&D expenditure / GDP (%)")
    ax.set_xlim(0, frame.rd_intensity_pct.max() * 1.1)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    title = f"R&D intensity by province, {year}"
    ax.set_title(title, fontsize=13, loc="left")
    published_in = ", ".join(frame.rd_intensity_vintage.dropna().unique())
    caption = (f"Source: {sources(con, rd_intensity_document_sql(year))}. "
               f"Vintage: {vintage_rule(con)}; intensity as published in {published_in}.")
    path = out_dir / f"rd_intensity_ranking_{year}.png"
    notes = null_notes(frame.assign(year=year), "rd_intensity_pct", "null_reason", "R&D intensity")
    _finish(fig, caption, notes, path)

    table = frame.rename(columns={"province_name_en": "province", "cluster_name_en": "cluster"})[
        ["intensity_rank", "province", "cluster", "rd_intensity_pct", "rd_expenditure_100m_yuan", "above_national"]]
    table["cluster"] = table.cluster.fillna("not in a cluster")
    leader = frame.iloc[0]
    description = (
        f"Each bar is a province's R&D expenditure as a share of its GDP in {year}, coloured by city cluster; the "
        f"dashed line is the national level. {int(frame.above_national.eq(True).sum())} of {len(frame)} provinces are above "
        f"the national {', '.join(f'{pct:.2f}%' for pct in national_pct)}; {leader.province_name_en} ranks first "
        f"at {leader.rd_intensity_pct:.2f}%."
    )
    tables = [Table(f"Provinces by R&D intensity, {year}", table, 2)]
    return Chart(title, description, caption, tables, notes, path)


def ranked_bars(ax, values: pd.Series, provinces: pd.Series, clusters: pd.Series, colours: dict[str, str],
                labels: list[str], offset: float) -> list:
    """Provinces as horizontal bars in the frame's order (rank 1 at the top), coloured by cluster, each labelled;
    returns the legend handles (clusters and "not in a cluster")."""
    positions = range(len(values))
    # A NULL figure gets no bar (its label says NULL), not a bar of zero.
    ax.barh(positions, values.fillna(0), color=[colours.get(name, NON_MEMBER_COLOUR) for name in clusters], height=0.75)
    for position, value, label in zip(positions, values, labels, strict=True):
        # White box: the label stays readable where a reference line crosses it.
        ax.text(value + offset if pd.notna(value) else offset, position, label, va="center", fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    ax.set_yticks(list(positions), provinces, fontsize=9)
    ax.invert_yaxis()  # rank 1 at the top
    ax.set_ylim(len(values) - 0.4, -0.6)
    legend = [Patch(color=colour, label=name) for name, colour in colours.items()]
    legend.append(Patch(color=NON_MEMBER_COLOUR, label="not in a cluster"))
    return legend


def rd_intensity_document_sql(year: int) -> str:
    return f"""
        SELECT rd_intensity_document_sha256 FROM marts.province_rd_ranking WHERE year = {int(year)}
        UNION SELECT national_document_sha256 FROM marts.province_rd_ranking WHERE year = {int(year)}
    """


# (mart column, its NULL reason column, panel title, y label)
PATENT_STAGE = ("patent_stage_efficiency", "patent_stage_null_reason", "Patent stage",
                f"invention patent grants in t+1\nper {UNIT_100M_YUAN} of R&D in t (pieces)")
TRANSFORMATION_STAGE = ("transformation_stage_efficiency", "transformation_stage_null_reason", "Transformation stage",
                        "high-tech enterprise net profit in t+1\nper yuan of R&D in t (yuan / yuan)")
TRANSFORMATION_PROXY = ("transformation_stage_efficiency_hitech_industry_proxy", "transformation_stage_proxy_null_reason",
                        "Transformation stage, PROXY: high-tech industry profit",
                        "high-tech industry total profit in t+1\nper yuan of R&D in t (yuan / yuan)")


def cluster_panel(ax, wide: pd.DataFrame, colours: dict[str, str], panel_title: str, y_label: str) -> None:
    """One line per cluster (a column of `wide`, reindexed on every year so a NULL breaks the line instead of
    bridging it), on a panel styled like every other."""
    for name in wide.columns:
        ax.plot(wide.index, wide[name], marker="o", markersize=4, color=colours[name], label=name)
    ax.set_title(panel_title, fontsize=11, loc="left")
    ax.set_ylabel(y_label, fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def stage_efficiency(con: duckdb.DuckDBPyConnection, out_dir: Path) -> Chart:
    """Both stage efficiencies of the four clusters over time; the proxy stands in while the Torch feed is absent."""
    frame = con.execute(f"""
        SELECT s.*, c.cluster_name_en
        FROM marts.cluster_stage_efficiency AS s JOIN ({CLUSTER_NAMES_SQL}) AS c USING (cluster)
        ORDER BY s.year, c.cluster_name_en
    """).df()
    real_is_loaded = frame.transformation_stage_efficiency.notna().any()
    transformation = TRANSFORMATION_STAGE if real_is_loaded else TRANSFORMATION_PROXY
    colours = cluster_colours(con)
    years = range(int(frame.year.min()), int(frame.year.max()) + 1)

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.8))
    tables, notes = [], []
    for ax, (column, reason_column, panel_title, y_label) in zip(axes, (PATENT_STAGE, transformation), strict=True):
        # Reindexed on every year so a NULL (or a year with no row) breaks the line instead of bridging it.
        wide = frame.pivot(index="year", columns="cluster_name_en", values=column).reindex(years)
        cluster_panel(ax, wide, colours, panel_title, y_label)
        ax.set_xlabel("input year t (output measured in t+1)", fontsize=9)
        tables.append(Table(f"{panel_title} (rows: year t)", wide.reset_index().rename_axis(columns=None), 3))
        notes += null_notes(frame, column, reason_column, panel_title)
    if not real_is_loaded:
        notes += null_notes(frame, *TRANSFORMATION_STAGE[:3])
    axes[0].legend(loc="upper left", fontsize=9, frameon=False)
    if not real_is_loaded:  # where the proxy jumps as the yearbook prints a member's profit, the note says so
        for row in frame[frame.transformation_stage_proxy_note.notna()].itertuples():
            axes[1].annotate("*", (row.year, row.transformation_stage_efficiency_hitech_industry_proxy),
                             xytext=(4, 2), textcoords="offset points", fontsize=12, color=colours[row.cluster_name_en])
            notes.append(f"* {row.cluster_name_en}, t = {row.year}: {profit_jumps_in_english(con, row.cluster, row.year + 1)}")
    title = "Stage efficiencies of the four city clusters: output in t+1 over R&D in t (ratios of cluster sums)"
    subtitle = ("Right: high-tech INDUSTRY profit, a proxy while the study's Torch ENTERPRISE profit is not loaded."
                if not real_is_loaded else "")
    fig.suptitle("\n".join(line for line in (title, subtitle) if line), x=0.01, ha="left", fontsize=11)
    caption = f"Source: {sources(con, STAGE_DOCUMENTS_SQL)}. Vintage: {vintage_rule(con)}."
    path = out_dir / "cluster_stage_efficiency.png"
    _finish(fig, caption, notes, path)
    description = (
        "Patent stage: invention patents granted in year t+1 per 100 million yuan of R&D spent by the cluster in "
        "year t. Transformation stage: profit in t+1 per yuan of R&D in t. Both are ratios of cluster sums, not "
        f"averages of provincial ratios; a gap is a NULL. {stage_leaders(frame, (PATENT_STAGE, transformation))}"
    )
    return Chart(title, description, caption, tables, notes, path)


def profit_jumps_in_english(con: duckdb.DuckDBPyConnection, cluster: str, year: int) -> str:
    """The known jumps of the members' high-tech industry profit in `year`, in English (the mart's note, why
    included, is in marts.cluster_stage_efficiency.transformation_stage_proxy_note)."""
    jumps = con.execute("""
        SELECT p.province_name_en, j.data_year, j.value, j.previous_value
        FROM staging.stg_known_jumps AS j
        JOIN reference.provinces AS p USING (province)
        JOIN reference.cluster_membership AS m ON m.province = j.province AND j.data_year BETWEEN m.valid_from_year
            AND m.valid_to_year
        WHERE j.feed = 'csy_hightech_industry' AND j.column_name = 'total_profit_100m_yuan' AND m.cluster = ?
            AND j.data_year = ?
        ORDER BY p.province_name_en
    """, [cluster, year]).fetchall()
    return "; ".join(f"{name}'s {data_year} high-tech industry profit is printed as {value:,.1f} {UNIT_100M_YUAN} against "
                     f"{previous:,.1f} a year earlier, and is kept as printed (why: transformation_stage_proxy_note)"
                     for name, data_year, value, previous in jumps)


def stage_leaders(frame: pd.DataFrame, stages) -> str:
    """Who leads each stage in the newest year t where that stage has figures."""
    sentences = []
    for column, _, panel_title, _ in stages:
        known = frame[frame[column].notna()]
        if known.empty:
            continue
        newest = known[known.year == known.year.max()].sort_values(column, ascending=False).iloc[0]
        sentences.append(f"{panel_title}: {newest.cluster_name_en} leads in t = {newest.year} ({newest[column]:.3f}).")
    return " ".join(sentences)


STAGE_DOCUMENTS_SQL = """
    SELECT rd_document_sha256s FROM marts.cluster_stage_efficiency
    UNION SELECT invention_grants_document_sha256s FROM marts.cluster_stage_efficiency
    UNION SELECT hightech_industry_document_sha256s FROM marts.cluster_stage_efficiency
    UNION SELECT hightech_enterprise_document_sha256s FROM marts.cluster_stage_efficiency
"""


def consecutive_runs(years: list[int]) -> list[list[int]]:
    """[2000, 2005, 2014, 2015, 2016] → [[2000], [2005], [2014, 2015, 2016]]."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return runs


def tech_net_outflow(con: duckdb.DuckDBPyConnection, out_dir: Path) -> Chart:
    """Net technology outflow (contract value sold − bought) of each cluster over the years the yearbooks publish."""
    frame = con.execute(f"""
        SELECT t.year, c.cluster_name_en, t.outflow_100m_yuan, t.inflow_100m_yuan, t.net_outflow_100m_yuan, t.null_reason
        FROM marts.tech_market_balance AS t JOIN ({CLUSTER_NAMES_SQL}) AS c ON c.cluster = t.region
        WHERE t.region_type = 'cluster'
        ORDER BY t.year, c.cluster_name_en
    """).df()
    colours = cluster_colours(con)
    wide = frame.pivot(index="year", columns="cluster_name_en", values="net_outflow_100m_yuan").sort_index()
    published = [int(year) for year in wide.index]
    position = {year: i for i, year in enumerate(published)}

    fig, ax = plt.subplots(figsize=(11, 6))
    # One slot per published year, so the back series' early single years (2000, 2005, 2010) do not crowd the
    # decade that is published every year; a line runs only between consecutive years, and each gap is marked.
    runs = consecutive_runs(published)
    for name, series in wide.items():
        for run_index, run in enumerate(runs):
            ax.plot([position[y] for y in run], series.loc[run], marker="o", markersize=4, color=colours[name],
                    label=name if run_index == 0 else None)
    for before, after in zip(published, published[1:], strict=False):
        if after - before > 1:
            ax.axvline(position[before] + 0.5, color="#999999", linewidth=0.8, linestyle=(0, (2, 3)))
            missing = after - before - 1
            ax.text(position[before] + 0.5, 1.0, f"{missing} year{'s' if missing > 1 else ''}\nnot published",
                    transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=7, color="#777777")
    ax.set_xticks(range(len(published)), [str(y) for y in published], fontsize=8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.text(0.99, 0.02, "above 0: net exporter of technology; below 0: net absorber", transform=ax.transAxes,
            ha="right", va="bottom", fontsize=8, color="#444444")
    ax.set_ylabel(f"net technology outflow: contract value\nsold − bought ({UNIT_100M_YUAN})")
    ax.set_xlabel("year")
    ax.grid(alpha=0.3, axis="y")
    ax.spines[["top", "right"]].set_visible(False)
    # Clear of the early single years and their gap marks, which take the left of the plot.
    ax.legend(loc="upper left", bbox_to_anchor=((position[runs[-1][0]] + 1) / len(published), 1.0), fontsize=9,
              frameon=False)
    title = "Net technology-market outflow of the four city clusters"
    ax.set_title(title, fontsize=13, loc="left")

    notes = null_notes(frame, "net_outflow_100m_yuan", "null_reason", "Net outflow")
    unpublished = sorted(set(range(published[0], published[-1] + 1)) - set(published))
    if unpublished:
        notes.append(f"No row in marts.tech_market_balance for {year_ranges(unpublished)}: "
                     "the yearbook back series do not publish these years")
    caption = f"Source: {sources(con, TECH_DOCUMENTS_SQL)}. Vintage: {vintage_rule(con)}."
    path = out_dir / "cluster_tech_net_outflow.png"
    _finish(fig, caption, notes, path)
    table = Table(f"Net technology outflow ({UNIT_100M_YUAN}; rows: year)", wide.reset_index().rename_axis(columns=None), 1)
    newest = frame[frame.year == frame.year.max()].dropna(subset=["net_outflow_100m_yuan"])
    exporter = newest.loc[newest.net_outflow_100m_yuan.idxmax()]
    absorber = newest.loc[newest.net_outflow_100m_yuan.idxmin()]
    description = (
        "Technology-market contract value sold by a cluster's provinces minus the value they bought, per year the "
        f"yearbooks publish. In {exporter.year}, {exporter.cluster_name_en} is the largest net exporter "
        f"({exporter.net_outflow_100m_yuan:,.1f} {UNIT_100M_YUAN}) and {absorber.cluster_name_en} the largest net "
        f"absorber ({absorber.net_outflow_100m_yuan:,.1f})."
    )
    return Chart(title, description, caption, [table], notes, path)


TECH_DOCUMENTS_SQL = """
    SELECT outflow_document_sha256s FROM marts.tech_market_balance WHERE region_type = 'cluster'
    UNION SELECT inflow_document_sha256s FROM marts.tech_market_balance WHERE region_type = 'cluster'
"""


# (column, reason column, panel title, axis label, decimals) of the endowment comparison.
ENDOWMENT_PANELS = (
    ("industrial_enterprise_rd_share_pct", "industrial_enterprise_rd_null_reason", "Enterprises' share of R&D",
     "R&D of industrial enterprises above\ndesignated size, % of all R&D", 1),
    ("industrial_enterprise_valid_invention_patents_per_10k_rd_fte", "industrial_enterprise_patents_null_reason",
     "Enterprises' invention patents per head", "their valid invention patents per 10,000\nof their R&D personnel (FTE)", 0),
    ("share_of_national_valid_invention_patents_pct", "valid_patents_null_reason", "Share of the national patent stock",
     "valid invention patents (all holders),\n% of the national stock", 1),
)

ENDOWMENT_DOCUMENTS_SQL = """
    SELECT industrial_enterprise_rd_document_sha256s FROM marts.cluster_endowment
    UNION SELECT rd_expenditure_document_sha256s FROM marts.cluster_endowment
    UNION SELECT industrial_enterprise_rd_personnel_document_sha256s FROM marts.cluster_endowment
    UNION SELECT industrial_enterprise_patents_document_sha256s FROM marts.cluster_endowment
    UNION SELECT valid_patents_document_sha256s FROM marts.cluster_endowment
"""


def short_refusal(note: str) -> str:
    """A gap note up to the refused document's name: the message's expected/found part quotes the Chinese title,
    which the chart's font cannot draw; the report's table and the mart's *_null_reason keep all of it."""
    if ": expected " not in note:
        return note
    return note.split(": expected ", 1)[0] + " (the mart's *_null_reason column and the run summary give the whole message)"


def cluster_endowment(con: duckdb.DuckDBPyConnection, out_dir: Path) -> Chart:
    """The four clusters side by side on the endowment's shares and per-head figure: the trend over the years the
    industrial-enterprise tables cover, each line ending in its latest value."""
    frame = con.execute(f"""
        SELECT e.*, c.cluster_name_en AS name
        FROM marts.cluster_endowment AS e JOIN ({CLUSTER_NAMES_SQL}) AS c USING (cluster)
        WHERE e.year >= (SELECT min(year) FROM marts.cluster_endowment WHERE industrial_enterprise_rd_share_pct IS NOT NULL)
        ORDER BY e.year, name
    """).df()
    if frame.empty:
        raise ValueError("marts.cluster_endowment has no industrial-enterprise R&D share in any year")
    colours = cluster_colours(con)
    years = range(int(frame.year.min()), int(frame.year.max()) + 1)
    fig, axes = plt.subplots(1, len(ENDOWMENT_PANELS), figsize=(15, 5.6))
    tables, notes, leaders = [], [], []
    for ax, (column, reason_column, panel_title, y_label, decimals) in zip(axes, ENDOWMENT_PANELS, strict=True):
        wide = frame.pivot(index="year", columns="name", values=column).reindex(years)
        cluster_panel(ax, wide, colours, panel_title, y_label)
        for name in wide.columns:
            known = wide[name].dropna()
            if not known.empty:  # the latest value, printed at the line's end
                ax.annotate(f"{known.iloc[-1]:,.{decimals}f}", (known.index[-1], known.iloc[-1]), xytext=(5, 0),
                            textcoords="offset points", va="center", fontsize=8, color=colours[name])
        ax.set_xlim(years.start - 0.3, years.stop - 1 + 0.9)
        tables.append(Table(f"{panel_title} (rows: year)", wide.reset_index().rename_axis(columns=None), decimals))
        notes += [short_refusal(note) for note in null_notes(frame, column, reason_column, panel_title)]
        known = frame.dropna(subset=[column])
        newest = known[known.year == known.year.max()].sort_values(column, ascending=False).iloc[0]
        leaders.append(f"{panel_title}: {newest['name']} leads in {newest.year} ({newest[column]:,.{decimals}f}).")
    axes[0].legend(loc="lower left", fontsize=9, frameon=False)
    title = "Innovation endowment of the four city clusters: who innovates (ratios of cluster sums)"
    fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    caption = f"Source: {sources(con, ENDOWMENT_DOCUMENTS_SQL)}. Vintage: {vintage_rule(con)}."
    path = out_dir / "cluster_endowment.png"
    _finish(fig, caption, notes, path)
    description = (
        "Left: the share of R&D performed by industrial enterprises above designated size. Middle: the valid "
        "invention patents those enterprises hold per 10,000 of their R&D personnel (full-time equivalent). Right: "
        "the cluster's share of China's valid domestic invention patents. Lines show the trend, the number at each "
        f"line's end its latest value; a gap is a NULL. {' '.join(leaders)}"
    )
    return Chart(title, description, caption, tables, notes, path)


def province_patent_stock(con: duckdb.DuckDBPyConnection, out_dir: Path, year: int | None = None) -> Chart:
    """31 provinces ranked by valid invention patents in `year` (default: the newest year)."""
    year = con.execute("SELECT max(year) FROM marts.province_patent_stock").fetchall()[0][0] if year is None else year
    frame = con.execute("""
        SELECT s.valid_invention_patents_rank, s.province_name_en, c.cluster_name_en, s.valid_invention_patents_count,
               s.share_of_national_valid_invention_patents_pct, s.valid_invention_patents_per_10k_rd_fte
        FROM marts.province_patent_stock AS s
        LEFT JOIN (SELECT DISTINCT cluster, cluster_name_en FROM reference.cluster_membership) AS c USING (cluster)
        WHERE s.year = ?
        ORDER BY s.valid_invention_patents_rank, s.province_name_en
    """, [year]).df()
    if frame.empty:
        raise ValueError(f"marts.province_patent_stock has no row for {year}")
    colours = cluster_colours(con)
    fig, ax = plt.subplots(figsize=(9, 10))
    thousands = frame.valid_invention_patents_count / 1000
    legend = ranked_bars(ax, thousands, frame.province_name_en, frame.cluster_name_en, colours,
                         [f"{v:,.0f}k ({s:.1f}%)" for v, s in zip(thousands, frame.share_of_national_valid_invention_patents_pct,
                                                                   strict=True)], offset=thousands.max() * 0.01)
    ax.legend(handles=legend, loc="lower right", fontsize=9, frameon=True)
    ax.set_xlabel("valid domestic invention patents at the year end (thousands; in brackets: % of the national stock)")
    ax.set_xlim(0, thousands.max() * 1.2)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    title = f"Valid invention patents by province, {year}"
    ax.set_title(title, fontsize=13, loc="left")
    documents = f"SELECT valid_patents_document_sha256 FROM marts.province_patent_stock WHERE year = {int(year)}"
    caption = f"Source: {sources(con, documents)}. The national stock also counts Hong Kong, Macao and Taiwan."
    path = out_dir / f"province_patent_stock_{year}.png"
    _finish(fig, caption, [], path)
    table = frame.rename(columns={"province_name_en": "province", "cluster_name_en": "cluster"})
    table["cluster"] = table.cluster.fillna("not in a cluster")
    top = frame.head(5)
    description = (
        f"Each bar is a province's stock of valid domestic invention patents at the end of {year}, coloured by city "
        f"cluster. The top five ({', '.join(top.province_name_en)}) hold "
        f"{top.share_of_national_valid_invention_patents_pct.sum():.1f}% of the national stock."
    )
    return Chart(title, description, caption, [Table(f"Provinces by valid invention patents, {year}", table, 1)], [], path)


def draw_all(con: duckdb.DuckDBPyConnection, out_dir: Path, ranking_year: int | None = None) -> list[Chart]:
    return [rd_intensity_ranking(con, out_dir, ranking_year), stage_efficiency(con, out_dir), tech_net_outflow(con, out_dir),
            cluster_endowment(con, out_dir), province_patent_stock(con, out_dir)]
