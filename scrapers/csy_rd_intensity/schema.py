"""landing.csy_rd_intensity: CSY 1-8 R&D intensity back series; each edition (publication_year) a vintage (%)."""

import pandera.pandas as pa
from pandera.typing import Series

from scrapers._landing_schema import MAX_INTENSITY_PCT, ROW_IDENTITY, Landing


class CsyRdIntensity(Landing):
    # Intensities are ratios: no national total to check against the provinces.
    rd_intensity_pct: Series[float] = pa.Field(ge=0, le=MAX_INTENSITY_PCT)

    class Config:
        unique = ROW_IDENTITY
